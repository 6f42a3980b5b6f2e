import Foundation

/// Gunther's Universal Scalability Law fitted to a concurrency sweep:
///
///     X(N) = λN / (1 + σ(N − 1) + κN(N − 1))
///
/// λ is the throughput of one user, σ the contention (the serial share: queueing for a lock, a
/// pool, one core), κ the coherency cost (every user paying for every other: crosstalk, cache and
/// lock traffic). With κ > 0 throughput peaks at N* = √((1 − σ) / κ) and falls after it.
public struct UniversalScalabilityFit: Codable, Sendable, Equatable {
    /// One measured step of the sweep, with the fit's prediction for it.
    public struct Point: Codable, Sendable, Equatable {
        public var users: Int
        public var measuredRps: Double
        public var predictedRps: Double
    }

    public var lambda: Double
    public var sigma: Double
    public var kappa: Double
    /// 1 − SSE/SST of the throughputs: how much of the measured variation the curve explains.
    public var rSquared: Double
    /// Where throughput peaks (nil when κ is 0: it only levels off, at λ/σ).
    public var peakUsers: Double?
    /// The throughput at the peak (or the ceiling λ/σ it levels off to; nil when neither exists).
    public var peakRps: Double?
    public var points: [Point]

    /// The predicted throughput with `users` users.
    public func throughput(users: Double) -> Double {
        Self.throughput(users: users, lambda: lambda, sigma: sigma, kappa: kappa)
    }

    static func throughput(users: Double, lambda: Double, sigma: Double, kappa: Double) -> Double {
        lambda * users / (1 + sigma * (users - 1) + kappa * users * (users - 1))
    }

    /// Least squares over (users, throughput) pairs, σ and κ kept at or above zero; nil with fewer
    /// than three distinct concurrencies or no throughput.
    ///
    /// For a given λ, `N/(X/λ) − 1 = σ(N−1) + κN(N−1)` is linear in σ and κ; for given σ and κ
    /// the best λ has a closed form. The fit alternates the two from λ = X(1), keeping the pair
    /// with the least squared error in throughput.
    public static func fit(_ measured: [(users: Int, rps: Double)]) -> UniversalScalabilityFit? {
        let points = measured.filter { $0.users >= 1 && $0.rps > 0 && $0.rps.isFinite }
        guard Set(points.map(\.users)).count >= 3 else { return nil }
        let n = points.map { Double($0.users) }, x = points.map(\.rps)
        var lambda = points.first { $0.users == 1 }?.rps ?? (x[0] / n[0])
        var best: (lambda: Double, sigma: Double, kappa: Double, error: Double)?
        for _ in 0..<50 {
            let (sigma, kappa) = contentionAndCoherency(n: n, x: x, lambda: lambda)
            let shape = n.map { throughput(users: $0, lambda: 1, sigma: sigma, kappa: kappa) }
            let fitted = zip(x, shape).reduce(0) { $0 + $1.0 * $1.1 } / shape.reduce(0) { $0 + $1 * $1 }
            let error = zip(x, shape).reduce(0) { $0 + pow($1.0 - fitted * $1.1, 2) }
            if best == nil || error < best!.error - 1e-12 * max(1, best!.error) {
                best = (fitted, sigma, kappa, error)
            } else if abs(fitted - lambda) <= 1e-9 * lambda {
                break
            }
            lambda = fitted
        }
        guard let best, best.lambda > 0 else { return nil }
        let mean = x.reduce(0, +) / Double(x.count)
        let total = x.reduce(0) { $0 + pow($1 - mean, 2) }
        let rSquared = total > 0 ? 1 - best.error / total : 1
        var peakUsers: Double?, peakRps: Double?
        if best.kappa > 0, best.sigma < 1 {
            let peak = ((1 - best.sigma) / best.kappa).squareRoot()
            peakUsers = peak
            peakRps = throughput(users: peak, lambda: best.lambda, sigma: best.sigma, kappa: best.kappa)
        } else if best.sigma > 0 {
            peakRps = best.lambda / best.sigma
        }
        return UniversalScalabilityFit(
            lambda: best.lambda, sigma: best.sigma, kappa: best.kappa, rSquared: rSquared, peakUsers: peakUsers, peakRps: peakRps,
            points: points.map { Point(users: $0.users, measuredRps: $0.rps, predictedRps: throughput(users: Double($0.users), lambda: best.lambda, sigma: best.sigma, kappa: best.kappa)) })
    }

    /// σ and κ (both at least 0) by linear least squares on `N/(X/λ) − 1 = σ(N−1) + κN(N−1)`.
    private static func contentionAndCoherency(n: [Double], x: [Double], lambda: Double) -> (Double, Double) {
        let y = zip(n, x).map { $0 / ($1 / lambda) - 1 }
        let a = n.map { $0 - 1 }, b = n.map { $0 * ($0 - 1) }
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
        let aa = dot(a, a), bb = dot(b, b), ab = dot(a, b), ay = dot(a, y), by = dot(b, y)
        let determinant = aa * bb - ab * ab
        if determinant > 1e-12 * aa * bb {
            let sigma = (ay * bb - by * ab) / determinant
            let kappa = (by * aa - ay * ab) / determinant
            if sigma >= 0 && kappa >= 0 { return (sigma, kappa) }
        }
        // One of them would be negative: the best fit with it at zero.
        let sigmaOnly = aa > 0 ? max(0, ay / aa) : 0
        let kappaOnly = bb > 0 ? max(0, by / bb) : 0
        let errorSigma = dot(y, y) - 2 * sigmaOnly * ay + sigmaOnly * sigmaOnly * aa
        let errorKappa = dot(y, y) - 2 * kappaOnly * by + kappaOnly * kappaOnly * bb
        return errorSigma <= errorKappa ? (sigmaOnly, 0) : (0, kappaOnly)
    }
}
