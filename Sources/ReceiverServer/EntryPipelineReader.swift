import NIOCore
import NIOEmbedded
import NIOHTTP1
import SpoolProtocol

/// Splits a pipeline's body (`application/http`, docs/PROTOCOL.md section 7) into its entry
/// requests with NIO's own HTTP/1.1 request parser, the one that reads requests from the network.
enum EntryPipelineReader {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The entry requests of `body`, in order.
    /// - Throws: ``Malformed`` when the body is not a sequence of complete HTTP/1.1 requests, holds
    ///   none, holds more than ``EntryPipeline/maxEntries``, or holds a request that would switch
    ///   protocols (`CONNECT`, `Upgrade`), after which nothing could be read as a request.
    static func requests(in body: ByteBuffer) throws(Malformed) -> [EntryRequest] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .fireError)))
        var requests: [EntryRequest] = []
        var head: HTTPRequestHead?
        var content: [UInt8] = []
        do {
            try channel.writeInbound(body)
            // Ends the input: a request cut short is an error here.
            _ = try channel.finish(acceptAlreadyClosed: false)
        } catch {
            throw Malformed(description: "the pipeline is not a sequence of complete HTTP/1.1 requests (\(error))")
        }
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let received):
                guard requests.count < EntryPipeline.maxEntries else {
                    throw Malformed(description: "the pipeline holds more than \(EntryPipeline.maxEntries) entry requests")
                }
                guard received.method != .CONNECT, !received.headers.contains(name: "upgrade") else {
                    throw Malformed(description: "entry request \(requests.count + 1) of the pipeline asks to switch protocols")
                }
                head = received
                content = []
            case .body(let buffer):
                content += buffer.readableBytesView
            case .end:
                guard let finished = head else { continue }
                requests.append(
                    EntryRequest(
                        method: finished.method.rawValue, path: finished.uri,
                        headers: finished.headers.map { EntryRequest.Header(name: $0.name, value: $0.value) }, body: content))
                head = nil
            }
        }
        guard head == nil else {
            throw Malformed(description: "entry request \(requests.count + 1) of the pipeline is incomplete")
        }
        guard !requests.isEmpty else { throw Malformed(description: "the pipeline holds no entry request") }
        return requests
    }
}
