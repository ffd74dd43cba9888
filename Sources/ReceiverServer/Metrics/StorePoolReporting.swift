/// A store with a connection pool reports its use here; `GET /metrics` shows it as
/// `receiver_store_pool_connections{state="in_use"|"available"}`. (SQLite has one writer and no pool
/// worth showing: its load is `receiver_store_queue_depth`.)
public protocol StorePoolReporting: Sendable {
    func poolUse() async -> StorePoolUse
}

public struct StorePoolUse: Sendable, Equatable {
    public var inUse: Int
    public var available: Int

    public init(inUse: Int, available: Int) {
        self.inUse = inUse
        self.available = available
    }
}
