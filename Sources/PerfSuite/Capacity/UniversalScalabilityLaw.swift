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
        public var measuredRPS: Double
        public var predictedRPS: Double
    }

    public var lambda: Double
    public var sigma: Double
    public var kappa: Double
    /// 1 − SSE/SST of the throughputs: how much of the measured variation the curve explains.
    public var rSquared: Double
    /// Where throughput peaks (nil when κ is 0: it only levels off, at λ/σ).
    public var peakUsers: Double?
    /// The throughput at the peak (or the ceiling λ/σ it levels off to; nil when neither exists).
    public var peakRPS: Double?
    public var points: [Point]

    /// The predicted throughput with `users` users.
    public func throughput(users: Double) -> Double {
        Self.throughput(users: users, lambda: lambda, sigma: sigma, kappa: kappa)
    }

    static func throughput(users: Double, lambda: Double, sigma: Double, kappa: Double) -> Double {
        lambda * users / (1 + sigma * (users - 1) + kappa * users * (users - 1))
    }

    /// Least squares in throughput over (users, throughput) pairs, with 0 ≤ σ ≤ 1 and κ ≥ 0; nil
    /// with fewer than three distinct concurrencies or no throughput.
    ///
    /// For given σ and κ the best λ has a closed form, so the search is over σ and κ alone: a grid
    /// (σ in steps of 0.01, κ on a log scale from 10⁻⁸ to 1, and κ = 0), then a pattern search
    /// around the best point that halves its steps until they are negligible.
    public static func fit(_ measured: [(users: Int, rps: Double)]) -> UniversalScalabilityFit? {
        let points = measured.filter { $0.users >= 1 && $0.rps > 0 && $0.rps.isFinite }
        guard Set(points.map(\.users)).count >= 3 else { return nil }
        let n = points.map { Double($0.users) }, x = points.map(\.rps)
        /// The best λ and its squared error for σ and κ.
        func error(_ sigma: Double, _ kappa: Double) -> (lambda: Double, error: Double) {
            let shape = n.map { throughput(users: $0, lambda: 1, sigma: sigma, kappa: kappa) }
            let lambda = zip(x, shape).reduce(0) { $0 + $1.0 * $1.1 } / shape.reduce(0) { $0 + $1 * $1 }
            return (lambda, zip(x, shape).reduce(0) { $0 + pow($1.0 - lambda * $1.1, 2) })
        }
        // κ as 10^e, with e = -∞ (κ = 0) below the grid's floor.
        let floorExponent = -8.0
        func kappa(_ exponent: Double) -> Double { exponent <= floorExponent ? 0 : pow(10, exponent) }
        var best = (sigma: 0.0, exponent: floorExponent, error: Double.infinity)
        for sigmaStep in 0...100 {
            for exponentStep in 0...160 {
                let sigma = Double(sigmaStep) / 100, exponent = floorExponent + Double(exponentStep) * 0.05
                let candidate = error(sigma, kappa(exponent)).error
                if candidate < best.error { best = (sigma, exponent, candidate) }
            }
        }
        var sigmaStep = 0.005, exponentStep = 0.025
        while sigmaStep > 1e-9 || exponentStep > 1e-9 {
            var improved = false
            for (ds, de) in [(sigmaStep, 0.0), (-sigmaStep, 0), (0, exponentStep), (0, -exponentStep)] {
                let sigma = min(1, max(0, best.sigma + ds)), exponent = max(floorExponent, min(0, best.exponent + de))
                let candidate = error(sigma, kappa(exponent)).error
                if candidate < best.error * (1 - 1e-12) {
                    best = (sigma, exponent, candidate)
                    improved = true
                }
            }
            if !improved {
                sigmaStep /= 2
                exponentStep /= 2
            }
        }
        let sigma = best.sigma, fittedKappa = kappa(best.exponent)
        let (lambda, squaredError) = error(sigma, fittedKappa)
        guard lambda > 0, lambda.isFinite else { return nil }
        let mean = x.reduce(0, +) / Double(x.count)
        let total = x.reduce(0) { $0 + pow($1 - mean, 2) }
        let rSquared = total > 0 ? 1 - squaredError / total : 1
        var peakUsers: Double?, peakRPS: Double?
        if fittedKappa > 0, sigma < 1 {
            let peak = ((1 - sigma) / fittedKappa).squareRoot()
            peakUsers = peak
            peakRPS = throughput(users: peak, lambda: lambda, sigma: sigma, kappa: fittedKappa)
        } else if sigma > 0 {
            peakRPS = lambda / sigma
        }
        return UniversalScalabilityFit(
            lambda: lambda, sigma: sigma, kappa: fittedKappa, rSquared: rSquared, peakUsers: peakUsers, peakRPS: peakRPS,
            points: points.map {
                Point(users: $0.users, measuredRPS: $0.rps, predictedRPS: throughput(users: Double($0.users), lambda: lambda, sigma: sigma, kappa: fittedKappa))
            })
    }

}
