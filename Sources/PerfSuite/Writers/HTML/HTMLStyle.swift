/// The report's stylesheet, inlined in the page: system font, light theme, thin table borders, pass
/// green and fail red.
public enum HTMLStyle {
    public static let css = """
        :root { --pass: #1a7f37; --fail: #cf222e; --stopped: #9a6700; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; color: #1f2328; background: #fff;
          font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
        h1 { font-size: 1.6em; margin: 0 0 4px; }
        h2 { font-size: 1.35em; margin: 48px 0 4px; padding-top: 16px; border-top: 2px solid var(--line); }
        h3 { font-size: 1.05em; margin: 28px 0 8px; }
        h4 { font-size: 0.95em; margin: 18px 0 4px; }
        a { color: #0969da; text-decoration: none; }
        a:hover { text-decoration: underline; }
        p { margin: 6px 0; }
        table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
        th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: var(--soft); font-weight: 600; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.detail td { background: #fcfcfd; }
        .scroll { overflow-x: auto; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 12px 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        .badge { display: inline-block; padding: 0 7px; border-radius: 3px; font-size: 12px; font-weight: 600; color: #fff; }
        .badge.pass { background: var(--pass); }
        .badge.fail { background: var(--fail); }
        .badge.stopped { background: var(--stopped); }
        .badge.verdict { color: #1f2328; background: var(--soft); border: 1px solid var(--line); border-left-width: 6px; }
        .meta, .note, .na { color: var(--muted); }
        .na { font-style: italic; }
        ul.violations li, ul.errors li, ul.findings li { color: var(--fail); }
        .held { color: var(--pass); }
        .broken { color: var(--fail); font-weight: 600; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 4px 28px; }
        figure { margin: 6px 0 14px; }
        figcaption { font-weight: 600; font-size: 13px; margin-bottom: 2px; }
        svg.chart { display: block; width: 100%; height: auto; }
        code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
        pre { white-space: pre-wrap; word-break: break-all; background: var(--soft); border: 1px solid var(--line); padding: 6px 8px; margin: 4px 0; }
        details > summary { cursor: pointer; color: var(--muted); }
        .endpoint { margin: 10px 0 18px; }
        """
}
