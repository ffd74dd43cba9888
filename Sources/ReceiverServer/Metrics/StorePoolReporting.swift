/// A store with a connection pool reports its use here; `GET /metrics` shows it as
/// `receiver_store_pool_connections{state="in_use"|"idle"}`. (SQLite has one writer and no pool
/// worth showing: its load is `receiver_store_queue_depth`.)
public protocol StorePoolReporting: Sendable {
    func poolUse() async -> StorePoolUse
}

public struct StorePoolUse: Sendable, Equatable {
    public var inUse: Int
    public var idle: Int

    public init(inUse: Int, idle: Int) {
        self.inUse = inUse
        self.idle = idle
    }
}
