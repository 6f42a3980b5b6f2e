import Foundation
import Hummingbird

/// `hello PORT`: serves `GET /health/live` with a fixed body, nothing else, as Hummingbird comes.
let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
let router = Router()
router.get("/health/live") { _, _ in "Hello, world!" }
let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
    })
try await app.runService()
