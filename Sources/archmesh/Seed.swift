import ArchMeshDatabase
import ArgumentParser
import Foundation
import Logging

/// `archmesh seed`: the deterministic volume dataset, loaded with COPY.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a deterministic volume dataset (projects and workflow sessions) with COPY.",
        discussion: """
            Idempotent: seeding N projects again adds nothing, seeding more adds only the difference.
            Without DATABASE_URL and without `archmesh db start`, the data goes to a throwaway cluster.
            """)

    @Option(help: "Projects the dataset has in all.")
    var projects: Int

    @Option(help: "Workflow sessions per project, on average (0 to 100).")
    var workflowsPerProject: Double = 0

    @Option(help: "Same seed, same rows.")
    var seed: UInt64 = 42

    @Flag(help: "Delete every project and workflow session first.")
    var reset = false

    @Option(help: ArgumentHelp(
        "Write the projects' COPY text to this file instead of loading it (to time `psql \\copy` on the same rows).",
        valueName: "file"))
    var emitCopy: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard projects >= 0 else { throw ValidationError("--projects must be 0 or more, got \(projects)") }
        guard (0...100).contains(workflowsPerProject) else {
            throw ValidationError("--workflows-per-project must be between 0 and 100, got \(workflowsPerProject)")
        }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "archmesh.seed")
        if let emitCopy {
            let rows = Seeder.projectRowsText(seed: seed, range: 0..<projects)
            guard FileManager.default.createFile(atPath: emitCopy, contents: Data(rows.readableBytesView)) else {
                throw CommandFailure.badUsage("cannot write --emit-copy file \(emitCopy)")
            }
            print("wrote \(projects) project rows (\(rows.readableBytes) bytes) to \(emitCopy)")
            return
        }
        try await DatabaseProvision.with(logger: logger) { provision in
            if provision.origin == .embedded {
                logger.warning("seeding a throwaway cluster that is removed when this command ends; run `archmesh db start` first to keep the data")
            }
            do {
                try await Migrator.bundled().migrate(provision.url, logger: logger)
                let summary = try await Seeder().seed(
                    provision.url,
                    options: .init(projects: projects, workflowsPerProject: workflowsPerProject, seed: seed, reset: reset),
                    logger: logger)
                let rate = summary.seconds > 0 ? Double(summary.projectsAdded) / summary.seconds : 0
                print(String(
                    format: "seeded %d projects and %d workflow sessions in %.3f s (%.0f projects/s); %d projects in the table",
                    summary.projectsAdded, summary.workflowsAdded, summary.seconds, rate, summary.projectsInTable))
            } catch {
                throw CommandFailure.from(error)
            }
        }
    }
}
