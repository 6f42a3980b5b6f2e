import ArchMeshDatabase
import ArgumentParser
import Foundation
import Logging

/// `archmesh db start|stop|status|destroy`: a persistent local cluster for use between commands.
struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Keep a local PostgreSQL cluster between commands (used when DATABASE_URL is unset).",
        subcommands: [Start.self, Stop.self, Status.self, Destroy.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the cluster on first use, start it, apply the schema.")

        @Option(help: "Port for a new cluster (an existing one keeps its own).")
        var port: Int = PersistentCluster.defaultPort

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = logging.makeLogger(label: "archmesh.db")
            do {
                let cluster = try PersistentCluster()
                let url = try await cluster.start(port: port, logger: logger)
                try await Migrator.bundled().migrate(url, logger: logger)
                print("running: \(url) (data in \(cluster.root.path))")
            } catch {
                throw CommandFailure.from(error)
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster, keeping its data.")

        func run() async throws {
            do {
                let cluster = try PersistentCluster()
                guard cluster.isRunning else {
                    print("not running")
                    return
                }
                await cluster.stop()
                print("stopped")
            } catch {
                throw CommandFailure.from(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster runs, and where.")

        @Flag(help: "Print the full DATABASE_URL, password included.")
        var showPassword = false

        func run() async throws {
            do {
                let cluster = try PersistentCluster()
                guard let url = cluster.url else {
                    print("no cluster at \(cluster.root.path); `archmesh db start` makes one")
                    throw ExitCode(ExitStatus.failed)
                }
                let shown = showPassword ? url.secretURLString : url.description
                print("\(cluster.isRunning ? "running" : "stopped"): \(shown) (data in \(cluster.root.path))")
                if !cluster.isRunning { throw ExitCode(ExitStatus.failed) }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw CommandFailure.from(error)
            }
        }
    }

    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster and delete its data.")

        func run() async throws {
            do {
                let cluster = try PersistentCluster()
                try await cluster.destroy()
                print("removed \(cluster.root.path)")
            } catch {
                throw CommandFailure.from(error)
            }
        }
    }
}
