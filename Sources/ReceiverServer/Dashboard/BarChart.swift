/// The geometry of a horizontal bar chart, for the `chart` template (inline SVG).
struct BarChart {
    struct Bar {
        var label: String
        /// The label cut to fit the label column (the full label is the row's tooltip).
        var shortLabel: String
        var value: String
        var y: Int
        var textY: Int
        var barX: Int
        var width: Int
        var barHeight: Int
        var valueX: Int
    }

    var id: String
    var title: String
    var width: Int
    var height: Int
    var bars: [Bar]

    static let maxBars = 12
    private static let labelColumn = 190
    private static let barColumn = 300
    private static let rowHeight = 22

    /// - Parameters:
    ///   - items: label, size and shown value of each bar, largest first; past ``maxBars`` the
    ///     rest are one bar, "N others".
    init(id: String, title: String, items: [(label: String, size: Double, value: String)]) {
        self.id = id
        self.title = title
        var items = items
        if items.count > Self.maxBars {
            let rest = items[(Self.maxBars - 1)...]
            let restSize = rest.reduce(0) { $0 + $1.size }
            items = Array(items.prefix(Self.maxBars - 1)) + [("\(rest.count) others", restSize, Self.format(restSize))]
        }
        let largest = items.map(\.size).max() ?? 0
        bars = items.enumerated().map { index, item in
            let y = index * Self.rowHeight
            let width = largest > 0 && item.size > 0 ? max(1, Int((item.size / largest * Double(Self.barColumn)).rounded())) : 0
            return Bar(
                label: item.label, shortLabel: item.label.count > 28 ? item.label.prefix(27) + "…" : item.label, value: item.value,
                y: y + 3, textY: y + 15, barX: Self.labelColumn, width: width, barHeight: Self.rowHeight - 6,
                valueX: Self.labelColumn + width + 6)
        }
        width = Self.labelColumn + Self.barColumn + 110
        height = max(Self.rowHeight, items.count * Self.rowHeight)
    }

    /// A number as the dashboard shows it: whole numbers without a fraction, others to 3 decimals.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String((value * 1000).rounded() / 1000)
    }
}
