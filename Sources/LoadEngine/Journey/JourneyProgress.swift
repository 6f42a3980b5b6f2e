import Observability

/// Where one user is in its journey: the step and repetition of its next request, when the journey
/// began and the number it is traced under, its values, and the buffers its requests are written
/// into (reused from request to request).
final class JourneyProgress {
    private(set) var step = 0
    private var repeatsDone = 0
    /// When the journey's first request was due, and its request number (the journey's trace).
    private(set) var startedDue: UInt64 = 0
    private(set) var number: UInt64 = 0
    private var started = false
    let values: JourneyValues
    private let users: Int
    var head: [UInt8] = []
    var body: [UInt8] = []

    init(user: Int, users: Int, slots: [JourneyValues.Slot], seed: UInt64) {
        self.users = max(1, users)
        values = JourneyValues(variables: slots, user: user, random: SplitMix64(seed: seed, stream: 0x6A6F75726E6579, index: user))
        values.sequence = user
    }

    /// The request about to be sent: the journey begins with it when it is the first step's first.
    func sending(due: UInt64, number: UInt64) {
        guard !started else { return }
        started = true
        startedDue = due
        self.number = number
    }

    /// The error the step's answer counts as: its expectation and its extractions decide, and each
    /// value extracted is kept for the steps after.
    func judge(_ step: CompiledJourney.Step, status: Int, error: ErrorKind?, response: ParsedResponse?) -> ErrorKind? {
        guard status > 0 else { return error }
        var error = error
        if !step.expect.isEmpty, status < 500 { error = step.expect.contains(status) ? nil : .unexpectedStatus }
        guard error == nil else { return error }
        var header = 0
        for (slot, from) in step.extract {
            let value: [UInt8]?
            if case .header = from {
                value = response.flatMap { header < $0.headerValues.count ? $0.headerValues[header] : nil }
                header += 1
            } else {
                value = response?.body.flatMap { from.value(inJSON: $0) }
            }
            // A value goes into the next requests' heads: control bytes (CR, LF, NUL, DEL) would let
            // an answer write header lines of its own, so such a value is not taken.
            guard let value, !value.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return .extraction }
            values.variables[slot] = .extracted(value)
        }
        return nil
    }

    /// The step's request ended, well or not: the next step (or repetition) comes next, or, after
    /// the last step or a failure, the next journey; a journey's end is recorded.
    func advance(_ journey: CompiledJourney, failed: Bool, now: UInt64, into recorder: inout JourneyRecorder) {
        if failed {
            recorder.failedAtStep[step] += 1
            return restart()
        }
        repeatsDone += 1
        guard repeatsDone >= journey.steps[step].repeats else { return }
        repeatsDone = 0
        step += 1
        guard step == journey.steps.count else { return }
        recorder.completed(micros: (now &- startedDue) / 1000)
        restart()
    }

    private func restart() {
        step = 0
        repeatsDone = 0
        started = false
        values.iteration += 1
        values.sequence = values.iteration * users + values.user
    }
}
