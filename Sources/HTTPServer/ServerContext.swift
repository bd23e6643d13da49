import Hummingbird
import NIOCore

/// The request context of the daemon's HTTP server: Hummingbird's basics plus the peer's
/// address, which the console needs to trust an identity header only from configured proxies.
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
