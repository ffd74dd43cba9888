import Hummingbird
import NIOCore

/// The request context of the receiver: the basic one, plus the channel, so that fault injection
/// can drop a connection.
public struct ReceiverContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
