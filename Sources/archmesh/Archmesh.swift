import ArgumentParser
import Foundation

/// `archmesh`: the reference server and the load-testing harness, one subcommand per job.
@main
struct Archmesh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archmesh",
        abstract: "Load-test an API on PostgreSQL and see where each request's time went.",
        discussion: """
            Without DATABASE_URL, commands use the cluster `archmesh db start` keeps, or else a private
            throwaway PostgreSQL cluster that is removed when the command ends.
            Exit codes: 0 success, 1 a threshold failed, 2 bad usage or input, 3 a regression.
            """,
        subcommands: [Run.self, Report.self, Compare.self, History.self, Serve.self, Seed.self, Database.self, Load.self, Capacity.self, WorkerCommand.self, Kubernetes.self])

    /// Runs the command, mapping every failure to the documented exit codes (ArgumentParser's own
    /// usage errors would otherwise exit 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(with: error)
        }
    }

    static func exit(with error: any Error) -> Never {
        if let failure = error as? CommandFailure {
            FileHandle.standardError.write(Data("archmesh: \(failure.message)\n".utf8))
            Foundation.exit(failure.exitStatus.rawValue)
        }
        let code = exitCode(for: error)
        if code == .success {
            print(fullMessage(for: error))
            Foundation.exit(0)
        }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        // Everything ArgumentParser rejects is bad usage: exit code 2, as the README promises.
        Foundation.exit(code == .validationFailure || code.rawValue == 64 ? ExitStatus.badUsage.rawValue : code.rawValue)
    }
}
