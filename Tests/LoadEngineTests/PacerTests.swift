@testable import LoadEngine
import Testing

@Suite("Pacers and ramps")
struct PacerTests {
    @Test("a constant rate puts request n at n/rate seconds and stops at the duration")
    func constantRate() {
        let pacer = ConstantRate(rate: 1000, duration: .seconds(10))
        #expect(pacer.dueTime(ofRequest: 0) == 0)
        #expect(pacer.dueTime(ofRequest: 1500) == 1.5)
        #expect(pacer.dueTime(ofRequest: 9999) == 9.999)
        #expect(pacer.dueTime(ofRequest: 10_000) == nil)
        #expect(pacer.requestsDue(by: 0) == 1)
        #expect(pacer.requestsDue(by: 1.0005) == 1001)
        #expect(pacer.requestsDue(by: 60) == 10_000)
    }

    @Test("a linear rate ramp's due times invert its cumulative count")
    func rampInvertsCumulative() throws {
        let ramp = RateRamp(startRate: 0, stages: [.init(duration: .seconds(10), target: 100), .init(duration: .seconds(5), target: 100)])
        // 0 → 100/s over 10 s is 500 requests, then 500 more at 100/s.
        #expect(abs(ramp.cumulative(at: 10) - 500) < 1e-9)
        #expect(abs(ramp.cumulative(at: 15) - 1000) < 1e-9)
        #expect(ramp.requestsDue(by: 15) == 999, "the 1000th is due exactly at the end, so it is not sent")
        for index in [0, 1, 10, 250, 499, 500, 750, 998] {
            let due = try #require(ramp.dueTime(ofRequest: index))
            #expect(abs(ramp.cumulative(at: due) - Double(index + 1)) < 1e-6, "request \(index)")
        }
        #expect(ramp.dueTime(ofRequest: 999) == nil)
        #expect(ramp.rate(at: 5) == 50)
        #expect(ramp.rate(at: 12) == 100)
    }

    @Test("due times never go backwards, even across a ramp down")
    func monotonic() {
        let ramp = RateRamp(startRate: 50, stages: [.init(duration: .seconds(2), target: 400), .init(duration: .seconds(2), target: 10)])
        var previous = -1.0
        var index = 0
        while let due = ramp.dueTime(ofRequest: index) {
            #expect(due >= previous)
            previous = due
            index += 1
        }
        #expect(index == ramp.requestsDue(by: 4))
    }

    @Test("a user ramp interpolates users between stages: a spike goes up, holds and comes back")
    func userRamp() {
        let spike = UserRamp(startUsers: 10, stages: [
            .init(duration: .seconds(2), target: 10), .init(duration: .seconds(1), target: 100),
            .init(duration: .seconds(3), target: 100), .init(duration: .seconds(1), target: 10), .init(duration: .seconds(3), target: 10),
        ])
        #expect(spike.users(at: 0) == 10)
        #expect(spike.users(at: 2.5) == 55)
        #expect(spike.users(at: 4) == 100)
        #expect(spike.users(at: 6.5) == 55)
        #expect(spike.users(at: 9) == 10)
        #expect(spike.peakUsers == 100)
        #expect(spike.duration == .seconds(10))
    }

    @Test("durations parse as users write them and print back the same way")
    func durations() {
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("10s") == .seconds(10))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("3") == .seconds(3))
        #expect(DurationText.parse("soon") == nil)
        #expect(DurationText.parse("-1s") == nil)
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.seconds(60)) == "60s")
    }

    @Test("models refuse numbers that cannot run")
    func validation() {
        #expect(throws: LoadEngineError.self) { try LoadModel.closedRequests(users: 0, totalRequests: 10).validate() }
        #expect(throws: LoadEngineError.self) { try LoadModel.constantRate(rate: 0, duration: .seconds(1), maxInFlight: 1).validate() }
        #expect(throws: LoadEngineError.self) { try LoadModel.rampingUsers(UserRamp(stages: []), thinkTime: .zero).validate() }
        #expect(throws: Never.self) { try LoadModel.closedDuration(users: 2, duration: .seconds(1), thinkTime: .zero).validate() }
    }
}

/// The built-in load patterns' stages, on their own.
@Suite("Load patterns")
struct LoadPatternTests {
    @Test("steps climb evenly, hold each level for its time, and last count x each")
    func steps() {
        let stages = LoadPattern.steps(from: 10, to: 40, count: 4, each: .seconds(5))
        let ramp = RateRamp(startRate: 10, stages: stages.map { .init(duration: $0.duration, target: $0.target) })
        #expect(ramp.duration == .seconds(20))
        #expect([2.5, 7.5, 12.5, 17.5].map { ramp.rate(at: $0) } == [10, 20, 30, 40])
        // Requests due: 10/s for 5 s, then 20, 30, 40 (the millisecond jumps add half a step's worth each).
        let expected = 5.0 * (10 + 20 + 30 + 40)
        #expect(abs(Double(ramp.requestsDue(by: 20)) - expected) <= 1)
        #expect(LoadPattern.steps(from: 5, to: 5, count: 1, each: .seconds(3)).count == 1)
    }

    @Test("a sine starts at its base, reaches base ± amplitude, and averages the base over whole periods")
    func sine() {
        let stages = LoadPattern.sine(base: 100, amplitude: 50, period: .seconds(8), duration: .seconds(16))
        let ramp = RateRamp(startRate: 100, stages: stages.map { .init(duration: $0.duration, target: $0.target) })
        #expect(abs(ramp.duration.seconds - 16) < 1e-6)
        #expect(abs(ramp.rate(at: 0) - 100) < 1e-9)
        #expect(abs(ramp.rate(at: 2) - 150) < 1e-6, "a quarter period: the crest")
        #expect(abs(ramp.rate(at: 6) - 50) < 1e-6, "three quarters: the trough")
        // Chords of a sine average to its base over whole periods.
        #expect(abs(Double(ramp.requestsDue(by: 16)) - 1600) <= 1)
        #expect(LoadPattern.sine(base: 1, amplitude: 0, period: .zero, duration: .seconds(1)).isEmpty)
    }
}
