// swift-tools-version: 6.1
// A bare Hummingbird application with one hello-world route: the ceiling for what a Hummingbird
// server does per request on this machine, measured beside the reference server by
// benchmarks/server-throughput.sh.
import PackageDescription

let package = Package(
    name: "hummingbird-hello",
    platforms: [.macOS(.v15)],
    dependencies: [.package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")],
    targets: [.executableTarget(name: "hello", dependencies: [.product(name: "Hummingbird", package: "hummingbird")])]
)
