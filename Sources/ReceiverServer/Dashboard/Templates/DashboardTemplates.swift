/// The dashboard's Mustache templates. `{{name}}` is HTML-escaped (installation IDs, versions
/// and metric keys come from reports); no template uses the unescaped `{{{name}}}`.
enum DashboardTemplates {
    /// The page: installations, product versions, and the metric families across installations.
    static let page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Telemetry receiver</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #fff; }
        h1 { font-size: 1.5rem; margin: 0 0 0.25rem; }
        h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #d5d9e0; }
        h3 { font-size: 1rem; margin: 0 0 0.25rem; }
        table { border-collapse: collapse; font-size: 0.9rem; }
        th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #e6e9ee; vertical-align: top; }
        td.number, th.number { text-align: right; }
        td.time, td code { white-space: nowrap; }
        code { font-size: 0.85rem; }
        .note { color: #566074; font-size: 0.85rem; margin: 0 0 0.4rem; }
        .families { display: flex; flex-wrap: wrap; gap: 1rem; }
        .family { border: 1px solid #e0e4ea; border-radius: 6px; padding: 0.6rem 0.8rem; width: 36rem; max-width: 100%; }
        svg text { font-size: 12px; fill: #1d2330; }
        svg rect.bar { fill: #3a6fd8; }
        </style>
        </head>
        <body>
        <header>
        <h1>Telemetry receiver</h1>
        <p class="note">{{installationCount}} installations, {{reportCount}} reports stored; page made {{generated}}.</p>
        </header>
        <main>
        <section id="installations" aria-labelledby="installations-heading">
        <h2 id="installations-heading">Installations</h2>
        {{#hasInstallations}}
        <table>
        <thead>
        <tr><th scope="col">Installation</th><th scope="col">Product version</th><th scope="col">Last report</th><th scope="col">Received</th><th scope="col" class="number">Reports</th><th scope="col" class="number">Tombstones</th><th scope="col">Missing</th><th scope="col">Declared lost</th></tr>
        </thead>
        <tbody>
        {{#installations}}
        <tr class="installation"><td><code>{{installation}}</code></td><td>{{version}}</td><td class="time">{{lastCreated}}</td><td class="time">{{lastReceived}}</td><td class="number">{{reports}}</td><td class="number">{{tombstones}}</td><td>{{missing}}</td><td>{{lost}}</td></tr>
        {{/installations}}
        </tbody>
        </table>
        {{/hasInstallations}}
        {{^hasInstallations}}
        <p>No entries stored yet.</p>
        {{/hasInstallations}}
        </section>
        <section id="versions" aria-labelledby="versions-heading">
        <h2 id="versions-heading">Product versions</h2>
        <p class="note">The latest product version of each installation.</p>
        {{#versions}}
        {{> chart}}
        {{/versions}}
        </section>
        <section id="metrics" aria-labelledby="metrics-heading">
        <h2 id="metrics-heading">Metrics across installations</h2>
        <p class="note">From the latest report of each installation: sums of counts, shares of flags and kinds. An installation whose report lacks a metric is not counted as zero.</p>
        <div class="families">
        {{#families}}
        <article class="family" id="{{id}}">
        <h3><code>{{key}}</code></h3>
        <p class="note">{{summary}}</p>
        {{#hasChart}}
        {{#chart}}
        {{> chart}}
        {{/chart}}
        {{/hasChart}}
        </article>
        {{/families}}
        </div>
        {{^families}}
        <p>No report holds metrics yet.</p>
        {{/families}}
        </section>
        </main>
        </body>
        </html>

        """

    /// A horizontal bar chart as inline SVG: one row per bar, its label, bar and value.
    static let chart = """
        <svg class="chart" id="{{id}}" role="img" aria-labelledby="{{id}}-title" width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" xmlns="http://www.w3.org/2000/svg">
        <title id="{{id}}-title">{{title}}</title>
        {{#bars}}
        <g class="bar-row"><title>{{label}}: {{value}}</title><text x="0" y="{{textY}}">{{shortLabel}}</text><rect class="bar" x="{{barX}}" y="{{y}}" width="{{width}}" height="{{barHeight}}"></rect><text x="{{valueX}}" y="{{textY}}">{{value}}</text></g>
        {{/bars}}
        </svg>

        """
}
