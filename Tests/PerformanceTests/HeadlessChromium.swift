import Foundation
import Subprocesses
import XCTest

/// A real headless Chromium for the tests that look at a page: the DOM after its scripts ran, a
/// screenshot, and what the page wrote to the console (Chromium logs it on stderr with
/// `--enable-logging=stderr`: one `CONSOLE` line per message, uncaught errors included).
struct HeadlessChromium {
    let executable: String
    /// Its own profile, removed with the directory the test made.
    let profile: URL

    struct Missing: Error, CustomStringConvertible {
        var description: String { "chromium is not installed (.ci/run installs it: apt-get install -y chromium)" }
    }

    /// The installed Chromium; a missing one fails the test (CI installs it, so a skip would hide a broken set-up).
    static func find(profileIn directory: URL) throws -> HeadlessChromium {
        guard let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: FileManager.default.isExecutableFile)
        else {
            throw Missing()
        }
        return HeadlessChromium(executable: executable, profile: directory.appendingPathComponent("chromium"))
    }

    private var flags: [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"]
    }

    /// What a page became: its DOM once `budget` of (virtual) time has passed, and its console lines.
    struct Page {
        var dom: String
        var console: [String]
    }

    /// Loads `url`, lets its scripts run for `budget` milliseconds, and returns the DOM and console.
    func load(_ url: String, budget milliseconds: Int = 2000) async throws -> Page {
        let run = try await ChildProcess.run(executable, flags + ["--virtual-time-budget=\(milliseconds)", "--dump-dom", url])
        XCTAssertEqual(run.status, 0, run.text)
        return Page(dom: run.text, console: Self.console(in: run.text))
    }

    /// Loads `url` and keeps a PNG screenshot of `width`x`height` at `file`; returns the console lines.
    @discardableResult
    func screenshot(_ url: String, to file: URL, width: Int = 1400, height: Int = 5000, budget milliseconds: Int? = nil) async throws -> [String] {
        try? FileManager.default.removeItem(at: file)
        var arguments = flags + ["--window-size=\(width),\(height)", "--screenshot=\(file.path)"]
        if let milliseconds { arguments.append("--virtual-time-budget=\(milliseconds)") }
        let run = try await ChildProcess.run(executable, arguments + [url])
        XCTAssertEqual(run.status, 0, run.text)
        let png = try Data(contentsOf: file)
        XCTAssertGreaterThan(png.count, 20_000, "a screenshot with content")
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        return Self.console(in: run.text)
    }

    /// The console messages among Chromium's log lines.
    static func console(in log: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
    }

    /// `test-artifacts/` at the package's root, where screenshots are kept for a person to look at.
    static func artifacts() throws -> URL {
        let directory = ReportOutputTests.packageRoot.appendingPathComponent("test-artifacts")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
