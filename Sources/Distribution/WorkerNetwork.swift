import Foundation
import Subprocesses

/// A network of its own for each local worker, as pods have: one Linux network namespace per
/// worker, joined by a veth pair to a bridge on this machine that carries the coordinator's and
/// the target's address. Coordinator, workers and target then talk across a real, if virtual,
/// network (its own interfaces, routes and TCP stacks) instead of one loopback. Needs root and
/// iproute2's `ip`; everything it made is removed by `remove()`.
public final class WorkerNetwork: Sendable {
    /// The bridge's address on this machine: where the coordinator and the target listen.
    public let hostAddress: String
    public let namespaces: [String]
    /// What `remove()` takes away: the bridge once made, a veth pair not yet in its namespace.
    private let bridge: String?
    private let loose: [String]
    private let ip: String

    private init(hostAddress: String, namespaces: [String], bridge: String?, loose: [String], ip: String) {
        self.hostAddress = hostAddress
        self.namespaces = namespaces
        self.bridge = bridge
        self.loose = loose
        self.ip = ip
    }

    private func with(bridge: String) -> WorkerNetwork { .init(hostAddress: hostAddress, namespaces: namespaces, bridge: bridge, loose: loose, ip: ip) }
    private func with(namespace: String) -> WorkerNetwork { .init(hostAddress: hostAddress, namespaces: namespaces + [namespace], bridge: bridge, loose: loose, ip: ip) }
    private func with(loose link: String) -> WorkerNetwork { .init(hostAddress: hostAddress, namespaces: namespaces, bridge: bridge, loose: loose + [link], ip: ip) }
    private func without(loose link: String) -> WorkerNetwork {
        .init(hostAddress: hostAddress, namespaces: namespaces, bridge: bridge, loose: loose.filter { $0 != link }, ip: ip)
    }

    /// `ip`, where iproute2 installs it.
    static var ipCommand: String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: FileManager.default.isExecutableFile)
    }

    /// Most workers one network takes (its addresses are .10 to .254 of a /24).
    public static let largestSize = 200

    /// Makes the bridge and `workers` namespaces, under names and a /24 of their own; throws,
    /// having removed what it made and nothing else, when it cannot (not root, no iproute2).
    public static func create(workers: Int) async throws -> WorkerNetwork {
        guard let ip = ipCommand else { throw WorkerNetworkError("iproute2's ip is not installed (apt-get install iproute2)") }
        guard (1...largestSize).contains(workers) else { throw WorkerNetworkError("a worker network takes 1 to \(largestSize) workers, not \(workers)") }
        let id = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        let subnet = try await freeSubnet(ip: ip)
        let bridge = "amb\(id)"
        var made = WorkerNetwork(hostAddress: "\(subnet).1", namespaces: [], bridge: nil, loose: [], ip: ip)
        do {
            try await run(ip, ["link", "add", bridge, "type", "bridge"])
            made = made.with(bridge: bridge)
            try await run(ip, ["addr", "add", "\(subnet).1/24", "dev", bridge])
            try await run(ip, ["link", "set", bridge, "up"])
            for index in 0..<workers {
                let namespace = "archmesh-\(id)-\(index)", outside = "amh\(id)x\(index)", inside = "amw\(id)x\(index)"
                try await run(ip, ["netns", "add", namespace])
                made = made.with(namespace: namespace)
                try await run(ip, ["link", "add", outside, "type", "veth", "peer", "name", inside])
                made = made.with(loose: outside)
                try await run(ip, ["link", "set", inside, "netns", namespace])
                made = made.without(loose: outside)  // the pair goes with the namespace now
                try await run(ip, ["link", "set", outside, "master", bridge])
                try await run(ip, ["link", "set", outside, "up"])
                try await run(ip, ["-n", namespace, "addr", "add", "\(subnet).\(10 + index)/24", "dev", inside])
                try await run(ip, ["-n", namespace, "link", "set", inside, "up"])
                try await run(ip, ["-n", namespace, "link", "set", "lo", "up"])
            }
        } catch {
            await made.remove()
            throw error
        }
        return made
    }

    /// A 10.201.X.0/24 that no interface of this machine has.
    private static func freeSubnet(ip: String) async throws -> String {
        let taken = try await ChildProcess.run(ip, ["-o", "-4", "addr", "show"]).text
        for _ in 0..<50 {
            let subnet = "10.201.\(Int.random(in: 20..<250))"
            if !taken.contains(" \(subnet).") { return subnet }
        }
        throw WorkerNetworkError("no free 10.201.X.0/24 on this machine")
    }

    /// What runs a command inside worker `index`'s namespace.
    public func wrapper(for index: Int) -> [String] {
        [ip, "netns", "exec", namespaces[index]]
    }

    /// The address worker `index` has inside its namespace.
    public func workerAddress(_ index: Int) -> String {
        hostAddress.split(separator: ".").dropLast().joined(separator: ".") + ".\(10 + index)"
    }

    /// Removes what it made: the namespaces (their veth pairs go with them), a pair not yet moved
    /// into one, and the bridge.
    public func remove() async {
        for namespace in namespaces { _ = try? await ChildProcess.run(ip, ["netns", "delete", namespace]) }
        for link in loose { _ = try? await ChildProcess.run(ip, ["link", "delete", link]) }
        if let bridge { _ = try? await ChildProcess.run(ip, ["link", "delete", bridge]) }
    }

    private static func run(_ ip: String, _ arguments: [String]) async throws {
        let result = try await ChildProcess.run(ip, arguments)
        guard result.status == 0 else {
            throw WorkerNetworkError("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

public struct WorkerNetworkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
