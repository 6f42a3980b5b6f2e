/// One colour per measured quantity, the same in every chart: blues are the client's latency, orange
/// the handler, brown the database (queries and PostgreSQL's CPU), so a colour always means one thing.
enum ChartPalette {
    static let clientP50 = "#9ecae1"
    static let clientP95 = "#3182bd"
    static let clientP99 = "#08306b"
    static let application = "#e6550d"
    static let requests = "#31a354"
    static let errors = "#d62728"
    static let serverCPU = "#756bb1"
    static let database = "#8c564b"
    static let pool = "#e7ba52"
    static let remainder = "#969696"
    static let memory = "#17becf"
    /// Latency from the intended send time, and from the actual send (dashed).
    static let corrected = clientP95
    static let uncorrected = "#6baed6"
    static let postgresCPU = database

    /// Chart furniture.
    static let axis = "#57606a"
    static let grid = "#e5e8eb"
    static let text = "#1f2328"
}
