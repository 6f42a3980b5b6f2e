import Observability

/// The deterministic volume dataset: project `i` of seed `S` is the same row on every machine and every run.
public struct SeedDataset: Sendable {
    public let seed: UInt64
    public let workflowsPerProject: Double

    /// Project `i` was created `i` minutes (plus a few seconds) after this instant: 2025-01-01T00:00:00Z.
    static let epoch: Int64 = 1_735_689_600

    static let domains = ["cloud-native", "data-platform", "enterprise"]
    static let statuses = ["pending", "processing", "completed", "failed"]
    static let stages = [
        "starting", "document_analysis", "requirement_extraction", "requirements_review", "architecture_design",
        "architecture_review", "technology_selection", "final_review", "completed", "failed",
    ]
    static let adjectives = [
        "Resilient", "Scalable", "Unified", "Streaming", "Secure", "Elastic", "Modular", "Federated", "Realtime",
        "Serverless", "Distributed", "Observable", "Hybrid", "Adaptive", "Composable", "Event-driven",
    ]
    static let subjects = [
        "Payments", "Inventory", "Analytics", "Identity", "Billing", "Logistics", "Catalog", "Messaging", "Search",
        "Ledger", "Telemetry", "Onboarding", "Scheduling", "Pricing", "Claims", "Recommendations",
    ]
    static let kinds = ["Platform", "Service", "Gateway", "Pipeline", "Hub", "Engine", "Portal", "Mesh"]
    static let industries = [
        "retail", "healthcare", "banking", "insurance", "logistics", "media", "telecom", "energy", "travel", "education",
    ]
    static let technologies = [
        "Kubernetes", "PostgreSQL", "Kafka", "Redis", "Terraform", "gRPC", "Spark", "Snowflake", "Envoy", "OpenTelemetry",
    ]

    public init(seed: UInt64, workflowsPerProject: Double) {
        self.seed = seed
        self.workflowsPerProject = workflowsPerProject
    }

    /// Project `index` as a COPY text row of `projects (id, name, description, domain, status, created_at, updated_at)`.
    func writeProject(_ index: Int, into row: inout CopyTextBuffer) {
        var random = SplitMix64(seed: seed, stream: 1, index: index)
        row.uuidField(Self.uuid(&random))
        let adjective = Self.adjectives[random.below(Self.adjectives.count)]
        let subject = Self.subjects[random.below(Self.subjects.count)]
        let kind = Self.kinds[random.below(Self.kinds.count)]
        row.field("\(adjective) \(subject) \(kind) \(index + 1)")
        let industry = Self.industries[random.below(Self.industries.count)]
        let first = Self.technologies[random.below(Self.technologies.count)]
        let second = Self.technologies[random.below(Self.technologies.count)]
        row.field("A \(adjective.lowercased()) \(subject.lowercased()) \(kind.lowercased()) for \(industry) teams, built on \(first) and \(second).")
        row.field(Self.domains[random.below(Self.domains.count)])
        row.field(Self.statuses[random.below(Self.statuses.count)])
        let created = Self.epoch + Int64(index) * 60 + Int64(random.below(60))
        row.timestampField(created)
        row.timestampField(created + Int64(random.below(86_400)))
        row.endRow()
    }

    /// How many workflow sessions project `index` has: `workflowsPerProject` on average, spread evenly.
    func workflowCount(forProject index: Int) -> Int {
        Int((Double(index + 1) * workflowsPerProject).rounded(.down)) - Int((Double(index) * workflowsPerProject).rounded(.down))
    }

    /// Project `index`'s workflow sessions as COPY text rows of `workflow_sessions (id, project_id,
    /// current_stage, state_data, is_active, started_at, last_activity_at, completed_at)`; only the
    /// last one can be active. Returns how many rows it wrote.
    func writeWorkflows(forProject index: Int, into row: inout CopyTextBuffer) -> Int {
        let count = workflowCount(forProject: index)
        guard count > 0 else { return 0 }
        var projectRandom = SplitMix64(seed: seed, stream: 1, index: index)
        let projectID = Self.uuid(&projectRandom)
        var random = SplitMix64(seed: seed, stream: 2, index: index)
        var started = Self.epoch + Int64(index) * 60 + 60
        for number in 0..<count {
            let isLast = number == count - 1
            let active = isLast && random.below(4) == 0
            let stageIndex = active ? random.below(8) : 8 + random.below(2)
            let stage = Self.stages[stageIndex]
            row.uuidField(Self.uuid(&random))
            row.uuidField(projectID)
            row.field(stage)
            let reached = min(stageIndex, 8)
            let completed = reached > 1 ? Self.stages[1..<reached].map { "\"\($0)\"" }.joined(separator: ",") : ""
            let progress = active ? Double(random.below(100)) / 100 : 1.0
            row.field(#"{"current_stage":"\#(stage)","stage_progress":\#(progress),"completed_stages":[\#(completed)],"stage_results":{},"pending_tasks":[],"errors":[],"metadata":{"seed":\#(seed)}}"#)
            row.field(active ? "t" : "f")
            let lastActivity = started + Int64(random.below(3_600))
            row.timestampField(started)
            row.timestampField(lastActivity)
            if active { row.nullField() } else { row.timestampField(lastActivity) }
            row.endRow()
            started = lastActivity + 1
        }
        return count
    }

    /// A version-4 UUID from two draws.
    static func uuid(_ random: inout SplitMix64) -> (UInt64, UInt64) {
        let high = (random.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (random.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return (high, low)
    }
}
