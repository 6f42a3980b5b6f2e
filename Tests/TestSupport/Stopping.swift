/// Starts something, runs `body` with it, and stops it afterwards whatever `body` does: the shape
/// of every test fixture that owns a process, a server or a port.
public func withStarted<Started, Result>(
    _ start: () async throws -> Started, stop: (Started) async -> Void, _ body: (Started) async throws -> Result
) async throws -> Result {
    let started = try await start()
    do {
        let result = try await body(started)
        await stop(started)
        return result
    } catch {
        await stop(started)
        throw error
    }
}
