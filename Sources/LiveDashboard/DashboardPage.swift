import PerfSuite

/// The dashboard's one page: the report's stylesheet and colours, and a small script that reads
/// `/state` every second and redraws (text and SVG, nothing fetched from elsewhere). When the
/// command is over it replaces itself with the final report.
public enum DashboardPage {
    static let html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>archmesh live</title>
        <style>
        \(HTMLStyle.css)
        \(css)
        </style>
        </head>
        <body>
        <main>
        <h1>archmesh live <span id="status" class="badge verdict">connecting</span></h1>
        <p class="muted" id="headline">Waiting for the first reading…</p>
        <ol id="plan" class="plan"></ol>
        <section id="current"></section>
        <section id="finished"></section>
        <p class="muted" id="footer"></p>
        </main>
        <script>
        \(script)
        </script>
        </body>
        </html>
        """

    /// A report that is text (what `archmesh load` prints) as a page of its own.
    public static func textReport(title: String, text: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>\(title.markupEscaped)</title><style>\(HTMLStyle.css)</style></head>
        <body><main><h1>\(title.markupEscaped)</h1><pre>\(text.markupEscaped)</pre></main></body>
        </html>
        """
    }

    private static let css = """
        .muted { color: var(--muted); }
        .plan { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 12px 0; }
        .plan li { padding: 1px 8px; border: 1px solid var(--line); border-radius: 3px; font-size: 12px; }
        .plan li.done-pass { border-color: var(--pass); color: var(--pass); }
        .plan li.done-fail { border-color: var(--fail); color: var(--fail); }
        .plan li.now { background: #0969da; border-color: #0969da; color: #fff; }
        .progress { height: 8px; background: var(--soft); border: 1px solid var(--line); border-radius: 4px; overflow: hidden; margin: 8px 0 16px; }
        .progress div { height: 100%; background: #0969da; transition: width 0.5s; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 8px 0 16px; }
        .tile { border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; }
        .tile .label { color: var(--muted); font-size: 12px; }
        .tile .value { font-size: 20px; font-variant-numeric: tabular-nums; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 12px; }
        .charts figure { margin: 0; border: 1px solid var(--line); border-radius: 4px; padding: 6px; }
        .charts figcaption { font-weight: 600; font-size: 13px; }
        .state-held { color: var(--pass); font-weight: 600; }
        .state-broken { color: var(--fail); font-weight: 600; }
        .state-pending { color: var(--muted); }
        """

    private static let script = """
        "use strict";
        const palette = {
          p50: "\(ChartPalette.clientP50)", p95: "\(ChartPalette.clientP95)", p99: "\(ChartPalette.clientP99)",
          app: "\(ChartPalette.application)", db: "\(ChartPalette.database)", pool: "\(ChartPalette.pool)",
          requests: "\(ChartPalette.requests)", errors: "\(ChartPalette.errors)",
          server: "\(ChartPalette.serverCPU)", postgres: "\(ChartPalette.postgresCPU)", memory: "\(ChartPalette.memory)",
          axis: "\(ChartPalette.axis)", grid: "\(ChartPalette.grid)", text: "\(ChartPalette.text)"
        };
        let over = false;

        function esc(text) {
          return String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\"": "&quot;", "'": "&#39;"})[c]);
        }
        function num(value, digits) {
          if (value === null || value === undefined || typeof value !== "number" || !isFinite(value)) return "–";
          return value.toLocaleString("en-US", {maximumFractionDigits: digits, minimumFractionDigits: digits});
        }
        function ms(value) { return value === null || value === undefined ? "–" : num(value, value < 10 ? 2 : 1) + " ms"; }
        function tile(label, value) {
          return `<div class="tile"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div></div>`;
        }

        // A line chart as SVG: lines of [x, y] points, y from zero, four grid lines with labels.
        function chart(title, unit, lines) {
          const width = 540, height = 190, left = 52, right = 10, top = 10, bottom = 38;
          const points = lines.flatMap(line => line.points.filter(p => p[1] !== null && isFinite(p[1])));
          let body = "";
          if (points.length === 0) {
            body = `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="${palette.axis}" font-size="12">no readings yet</text>`;
          } else {
            const xs = points.map(p => p[0]), ys = points.map(p => p[1]);
            const x0 = Math.min(...xs), x1 = Math.max(Math.max(...xs), x0 + 1);
            const y1 = Math.max(Math.max(...ys) * 1.1, 1e-9);
            const x = v => left + (v - x0) / (x1 - x0) * (width - left - right);
            const y = v => top + (1 - v / y1) * (height - top - bottom);
            for (let i = 0; i <= 4; i++) {
              const value = y1 * i / 4;
              body += `<line x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}" stroke="${palette.grid}"/>`;
              body += `<text x="${left - 4}" y="${y(value) + 4}" text-anchor="end" font-size="10" fill="${palette.axis}">${num(value, value < 10 ? 1 : 0)}</text>`;
            }
            body += `<text x="${left}" y="${height - bottom + 14}" font-size="10" fill="${palette.axis}">${num(x0, 0)} s</text>`;
            body += `<text x="${width - right}" y="${height - bottom + 14}" text-anchor="end" font-size="10" fill="${palette.axis}">${num(x1, 0)} s</text>`;
            for (const line of lines) {
              let path = "", pen = "M";
              for (const p of line.points) {
                if (p[1] === null || !isFinite(p[1])) { pen = "M"; continue; }
                path += `${pen}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)} `;
                pen = "L";
              }
              if (path) body += `<path d="${path}" fill="none" stroke="${line.color}" stroke-width="1.6"><title>${esc(line.name)}</title></path>`;
            }
          }
          let legend = "", at = left;
          for (const line of lines) {
            legend += `<rect x="${at}" y="${height - 14}" width="10" height="10" fill="${line.color}"/>`;
            legend += `<text x="${at + 14}" y="${height - 5}" font-size="11" fill="${palette.text}">${esc(line.name)}</text>`;
            at += 22 + line.name.length * 6.5;
          }
          return `<figure><figcaption>${esc(title)} <span class="muted">(${esc(unit)})</span></figcaption>` +
            `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}">${body}${legend}</svg></figure>`;
        }

        function renderPlan(state) {
          const results = new Map(state.finished.map(f => [f.key, f.passed]));
          const now = state.current ? state.current.key : null;
          document.getElementById("plan").innerHTML = state.planned.map(key => {
            const kind = key === now ? "now" : results.has(key) ? (results.get(key) ? "done-pass" : "done-fail") : "";
            return `<li class="${kind}">${esc(key)}</li>`;
          }).join("");
        }

        function renderCurrent(unit) {
          const section = document.getElementById("current");
          if (!unit) { section.innerHTML = ""; return; }
          const last = unit.seconds.length ? unit.seconds[unit.seconds.length - 1] : null;
          const resources = new Map(unit.resources.map(r => [r.process, r]));
          const server = resources.get("server"), postgres = resources.get("postgres");
          let html = `<h2>${esc(unit.title)} <span class="muted">${esc(unit.key)}</span></h2>`;
          html += `<p class="muted">${esc(unit.detail)} · ${esc(unit.phase)} · ${num(unit.elapsed_seconds, 1)} s`;
          if (unit.planned_seconds) html += ` of ${num(unit.planned_seconds, 0)} s`;
          if (unit.planned_requests) html += ` · ${num(unit.requests, 0)} of ${num(unit.planned_requests, 0)} requests`;
          html += `</p>`;
          if (unit.progress_percent !== null && unit.progress_percent !== undefined) {
            html += `<div class="progress" title="${num(unit.progress_percent, 0)}%"><div style="width: ${Math.min(100, unit.progress_percent)}%"></div></div>`;
          }
          html += `<div class="tiles">` +
            tile("requests/s (last second)", last ? num(last.requests, 0) : "–") +
            tile("errors/s (last second)", last ? num(last.failures, 0) : "–") +
            tile("requests so far", num(unit.requests, 0)) +
            tile("failed so far", num(unit.failures, 0)) +
            tile("client p50 / p95 / p99", last ? `${num(last.p50, 1)} / ${num(last.p95, 1)} / ${num(last.p99, 1)} ms` : "–") +
            tile("server app / db / pool", last && last.app != null ? `${num(last.app, 2)} / ${num(last.db, 2)} / ${num(last.pool, 2)} ms` : "–") +
            tile("whole run p50 / p95 / p99", `${num(unit.latency.p50, 1)} / ${num(unit.latency.p95, 1)} / ${num(unit.latency.p99, 1)} ms`) +
            tile("server CPU / memory", server ? `${num(server.cpu_percent, 0)}% / ${num(server.memory_mb, 0)} MiB` : "not measured") +
            tile("PostgreSQL CPU / memory", postgres ? `${num(postgres.cpu_percent, 0)}% / ${num(postgres.memory_mb, 0)} MiB` : "not measured") +
            `</div>`;
          const at = (key) => unit.seconds.map(s => [s.second + 1, s[key]]);
          const readings = (r, index) => r ? r.readings.map(v => [v[0], v[index]]) : [];
          html += `<div class="charts">` +
            chart("Latency per second", "ms", [
              {name: "p50", color: palette.p50, points: at("p50")}, {name: "p95", color: palette.p95, points: at("p95")},
              {name: "p99", color: palette.p99, points: at("p99")}, {name: "app", color: palette.app, points: at("app")},
              {name: "db", color: palette.db, points: at("db")}, {name: "pool", color: palette.pool, points: at("pool")}]) +
            chart("Requests and errors per second", "per second", [
              {name: "requests", color: palette.requests, points: at("requests")}, {name: "errors", color: palette.errors, points: at("failures")}]) +
            chart("CPU", "% of the machine", [
              {name: "server", color: palette.server, points: readings(server, 1)}, {name: "PostgreSQL", color: palette.postgres, points: readings(postgres, 1)}]) +
            chart("Resident memory", "MiB", [
              {name: "server", color: palette.memory, points: readings(server, 2)}, {name: "PostgreSQL", color: palette.postgres, points: readings(postgres, 2)}]) +
            `</div>`;
          if (unit.checks.length) {
            html += `<h3>Thresholds and objectives, on the figures so far</h3><table><tr><th>limit</th><th>set</th><th>so far</th><th>state</th></tr>`;
            for (const check of unit.checks) {
              html += `<tr><td>${esc(check.name)}</td><td>${esc(check.limit)}</td><td class="num">${esc(check.actual === null || check.actual === undefined ? "–" : check.actual)}</td>` +
                `<td class="state-${esc(check.state)}">${esc(check.state)}</td></tr>`;
            }
            html += `</table>`;
          }
          section.innerHTML = html;
        }

        function renderFinished(finished) {
          const section = document.getElementById("finished");
          if (!finished.length) { section.innerHTML = ""; return; }
          let html = `<h2>Finished</h2><table><tr><th>scenario</th><th>verdict</th><th>requests</th><th>req/s</th><th>p95</th><th>error rate</th><th>notes</th></tr>`;
          for (const f of finished) {
            html += `<tr><td>${esc(f.key)}</td><td><span class="badge ${f.passed ? "pass" : "fail"}">${f.passed ? "PASS" : "FAIL"}</span></td>` +
              `<td class="num">${num(f.requests, 0)}</td><td class="num">${num(f.requests_per_second, 1)}</td><td class="num">${ms(f.p95)}</td>` +
              `<td class="num">${num(f.error_rate_percent, 2)}%</td><td>${f.notes.map(esc).join("<br>")}</td></tr>`;
          }
          section.innerHTML = html + `</table>`;
        }

        function render(state) {
          const status = document.getElementById("status");
          status.textContent = state.status;
          document.getElementById("headline").textContent =
            `${state.command} against ${state.target} · ${num(state.elapsed_seconds, 0)} s · ${state.finished.length} of ${state.planned.length} done`;
          renderPlan(state);
          renderCurrent(state.current);
          renderFinished(state.finished);
          document.getElementById("footer").textContent = `Reading ${state.sequence} at ${new Date().toLocaleTimeString()}; updated every second.`;
          document.body.dataset.sequence = String(state.sequence);
        }

        async function showReport() {
          const response = await fetch("/report", {cache: "no-store"});
          const html = await response.text();
          document.open();
          document.write(html);
          document.close();
        }

        async function tick() {
          try {
            const response = await fetch("/state", {cache: "no-store"});
            const state = await response.json();
            render(state);
            if (state.status !== "running" && state.report_ready) {
              over = true;
              await showReport();
              return;
            }
          } catch (error) {
            document.getElementById("status").textContent = over ? "over" : "no answer from the harness";
          }
          setTimeout(tick, 1000);
        }
        tick();
        """
}
