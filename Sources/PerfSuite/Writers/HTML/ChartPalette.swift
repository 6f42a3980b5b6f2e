/// One colour per measured quantity, the same in every chart: blues are the client's latency, orange
/// the handler, brown the database (queries and PostgreSQL's CPU), so a colour always means one thing.
public enum ChartPalette {
    public static let clientP50 = "#9ecae1"
    public static let clientP95 = "#3182bd"
    public static let clientP99 = "#08306b"
    public static let application = "#e6550d"
    public static let requests = "#31a354"
    public static let errors = "#d62728"
    public static let serverCPU = "#756bb1"
    public static let database = "#8c564b"
    public static let pool = "#e7ba52"
    public static let remainder = "#969696"
    public static let memory = "#17becf"
    /// Latency from the intended send time, and from the actual send (dashed).
    public static let corrected = clientP95
    public static let uncorrected = "#6baed6"
    public static let postgresCPU = database

    /// Chart furniture.
    public static let axis = "#57606a"
    public static let grid = "#e5e8eb"
    public static let text = "#1f2328"
}
