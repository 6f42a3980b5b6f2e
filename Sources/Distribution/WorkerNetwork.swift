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
    private let bridge: String
    private let ip: String

    private init(hostAddress: String, namespaces: [String], bridge: String, ip: String) {
        self.hostAddress = hostAddress
        self.namespaces = namespaces
        self.bridge = bridge
        self.ip = ip
    }

    /// `ip`, where iproute2 installs it.
    static var ipCommand: String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: FileManager.default.isExecutableFile)
    }

    /// Makes the bridge and `workers` namespaces; throws, having removed what it made, when it
    /// cannot (not root, no iproute2, names taken).
    public static func create(workers: Int) async throws -> WorkerNetwork {
        guard let ip = ipCommand else { throw WorkerNetworkError("iproute2's ip is not installed (apt-get install iproute2)") }
        let id = Int(getpid()) % 100_000
        // A /24 per process, so that two runs on one machine do not meet.
        let subnet = "10.201.\(id % 200 + 20)"
        let bridge = "amb\(id)"
        let namespaces = (0..<workers).map { "archmesh-\(id)-\($0)" }
        let network = WorkerNetwork(hostAddress: "\(subnet).1", namespaces: namespaces, bridge: bridge, ip: ip)
        do {
            try await network.run(["link", "add", bridge, "type", "bridge"])
            try await network.run(["addr", "add", "\(subnet).1/24", "dev", bridge])
            try await network.run(["link", "set", bridge, "up"])
            for (index, namespace) in namespaces.enumerated() {
                let outside = "amh\(id)x\(index)", inside = "amw\(id)x\(index)"
                try await network.run(["netns", "add", namespace])
                try await network.run(["link", "add", outside, "type", "veth", "peer", "name", inside])
                try await network.run(["link", "set", inside, "netns", namespace])
                try await network.run(["link", "set", outside, "master", bridge])
                try await network.run(["link", "set", outside, "up"])
                try await network.run(["-n", namespace, "addr", "add", "\(subnet).\(10 + index)/24", "dev", inside])
                try await network.run(["-n", namespace, "link", "set", inside, "up"])
                try await network.run(["-n", namespace, "link", "set", "lo", "up"])
            }
        } catch {
            await network.remove()
            throw error
        }
        return network
    }

    /// What runs a command inside worker `index`'s namespace.
    public func wrapper(for index: Int) -> [String] {
        [ip, "netns", "exec", namespaces[index]]
    }

    /// The address worker `index` has inside its namespace.
    public func workerAddress(_ index: Int) -> String {
        hostAddress.split(separator: ".").dropLast().joined(separator: ".") + ".\(10 + index)"
    }

    /// Removes the namespaces (their veth ends go with them) and the bridge.
    public func remove() async {
        for namespace in namespaces { _ = try? await ChildProcess.run(ip, ["netns", "delete", namespace]) }
        _ = try? await ChildProcess.run(ip, ["link", "delete", bridge])
    }

    private func run(_ arguments: [String]) async throws {
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
