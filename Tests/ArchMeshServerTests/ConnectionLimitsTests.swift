@testable import ArchMeshServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOEmbedded
import Testing
import TestSupport

/// Slow, idle and too many clients against a live server: none of them may hold the server.
@Suite("Connection limits")
struct ConnectionLimitsTests {
    func withLiveServer(_ limits: ConnectionLimits, _ test: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await TestApp.withLiveServer(configure: { $0.connections = limits }, test)
    }

    static var short: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(2)
        limits.headerTimeout = .seconds(1)
        limits.bodyTimeout = .seconds(1)
        return limits
    }

    @Test("a client that sends its head a byte at a time is answered 408 and cut off")
    func slowHeader() async throws {
        try await withLiveServer(Self.short) { port in
            let connection = try RawConnection(port: port)
            connection.send("GET /health/live HTTP/1.1\r\nHo")
            let (text, closed) = await connection.receive(timeout: .seconds(60))
            #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
            #expect(closed)
        }
    }

    @Test("a client that never finishes its body is answered 408 and cut off")
    func slowBody() async throws {
        try await withLiveServer(Self.short) { port in
            let connection = try RawConnection(port: port)
            connection.send("POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
            let (text, closed) = await connection.receive(timeout: .seconds(60))
            #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
            #expect(closed)
        }
    }

    @Test("a kept-alive connection serves its next request; left idle, it is closed after the idle timeout, not before")
    func idle() async throws {
        try await withLiveServer(Self.short) { port in
            let connection = try RawConnection(port: port)
            // The idle timer starts when the last answer is written, which is after its request was
            // sent: timed from the send, the lower bound holds however late this task wakes.
            var sent = ContinuousClock.now
            for _ in 0..<2 {
                sent = ContinuousClock.now
                connection.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                let (answer, closed) = await connection.receiveResponse(timeout: .seconds(20))
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
                #expect(!closed, "kept alive after its answer")
            }
            let (_, closed) = await connection.receive(timeout: .seconds(20))
            #expect(closed)
            #expect(ContinuousClock.now - sent >= .milliseconds(1900), "closed by the 2 s idle timer, not at once")
        }
    }

    @Test("a thousand idle connections do not keep a new client from being served")
    func idleCrowd() async throws {
        var limits = Self.short
        limits.idleTimeout = .seconds(120)
        limits.maximumConnections = 100
        try await withLiveServer(limits) { port in
            let crowd = try (0..<1000).map { _ in try RawConnection(port: port) }
            let newcomer = try RawConnection(port: port)
            newcomer.send("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (text, _) = await newcomer.receive(timeout: .seconds(60))
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(200))")
            for connection in crowd { connection.close() }
        }
    }

    @Test("beyond the maximum, the connection idle longest makes room; with none idle, the newcomer is refused")
    func admission() throws {
        var limits = ConnectionLimits()
        limits.maximumConnections = 2
        let registry = ConnectionRegistry(limits: limits)
        let first = ConnectionState(channel: EmbeddedChannel(), now: 10)
        let second = ConnectionState(channel: EmbeddedChannel(), now: 20)
        let third = ConnectionState(channel: EmbeddedChannel(), now: 30)
        guard case .admitted = registry.admit(first), case .admitted = registry.admit(second) else {
            Issue.record("the first two were not admitted")
            return
        }
        guard case .admittedEvicting(let evicted) = registry.admit(third) else {
            Issue.record("the idlest was not evicted")
            return
        }
        #expect(evicted === first)
        #expect(registry.count == 2)
        second.enter(.answering, now: 40)
        third.enter(.readingHead, now: 40)
        guard case .refused = registry.admit(ConnectionState(channel: EmbeddedChannel(), now: 50)) else {
            Issue.record("with no idle connection the newcomer must be refused")
            return
        }
        #expect(registry.count == 2)
    }

    @Test("each phase has its own deadline; a request being answered has none here")
    func deadlines() {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(60)
        limits.headerTimeout = .seconds(10)
        limits.bodyTimeout = .seconds(30)
        let registry = ConnectionRegistry(limits: limits)
        let second: UInt64 = 1_000_000_000
        let states = (0..<4).map { _ in ConnectionState(channel: EmbeddedChannel(), now: 0) }
        for state in states { _ = registry.admit(state) }
        states[1].enter(.readingHead, now: 0)
        states[2].enter(.readingBody, now: 0)
        states[3].enter(.answering, now: 0)
        #expect(registry.overdue(now: 5 * second).isEmpty)
        #expect(registry.overdue(now: 11 * second).map(\.phase) == [.readingHead])
        #expect(Set(registry.overdue(now: 31 * second).map(\.phase)) == [.readingHead, .readingBody])
        #expect(Set(registry.overdue(now: 3600 * second).map(\.phase)) == [.idle, .readingHead, .readingBody])
    }
}
