import Foundation
import KeyboundHummingbird
import KeyboundValidation
import KeyboundStore
import Logging
import ServiceLifecycle

/// Runs the rotation engine periodically until graceful shutdown.
///
/// Before each tick it claims the leadership (`RotationLeadership`): on several
/// nodes only the holder ticks, and its claim is its heartbeat; a lease of three intervals lets
/// another node take over from a holder that stopped. Every node, leader or not, then judges each
/// issuer's keys (`KeyStatusReport`), sets the rotation gauges (`RotationMetrics`)
/// and raises a `rotation_overdue` alert when an issuer turns unhealthy: a rotation that stopped
/// must never stop silently, least of all because its leader hangs.
public struct RotationService: Service {
    let manager: KeyManager
    let leadership: any RotationLeadership
    /// This node's name in the leadership lease.
    let node: String
    let interval: Duration
    let logger: Logger
    let alerts: AlertCenter?
    let now: @Sendable () -> Date
    let onChange: @Sendable () -> Void

    /// A service ticking `manager` every `interval`; `onChange` runs after a tick that changed a
    /// key; overdue rotations are raised on `alerts`.
    public init(manager: KeyManager, interval: Duration, logger: Logger, alerts: AlertCenter? = nil,
                leadership: any RotationLeadership = SingleNodeLeadership(), node: String = RotationService.defaultNodeName(),
                now: @escaping @Sendable () -> Date = { Date() }, onChange: @escaping @Sendable () -> Void = {}) {
        self.manager = manager
        self.leadership = leadership
        self.node = node
        self.interval = interval
        self.logger = logger
        self.alerts = alerts
        self.now = now
        self.onChange = onChange
    }

    public func run() async throws {
        var unhealthy: Set<String> = []
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            unhealthy = await tickOnce(previouslyUnhealthy: unhealthy)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await leadership.resign(node: node)
        RotationMetrics.stepDown()
    }

    /// How long a leader's claim holds without renewal: three intervals, and at least ten seconds.
    var lease: TimeInterval {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        return max(10, 3 * seconds)
    }

    /// A name for this process in the leadership lease: host, process id and a random suffix.
    public static func defaultNodeName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// One tick, its gauges and alerts; returns the issuers now unhealthy. A tick that fails (the
    /// store cannot be written) still has the keys judged, so an overdue rotation shows.
    func tickOnce(previouslyUnhealthy: Set<String>) async -> Set<String> {
        let time = now()
        let leads: Bool
        do {
            leads = try await leadership.claim(node: node, lease: lease)
        } catch {
            logger.error("rotation leadership unknown", metadata: ["error": "\(error)"])
            leads = false
        }
        if leads {
            do {
                let applied = try await manager.tick(now: time)
                for transition in applied { logger.notice("key transition", metadata: ["transition": "\(transition)"]) }
                if !applied.isEmpty { onChange() }
            } catch {
                logger.error("rotation tick failed", metadata: ["error": "\(error)"])
            }
        }
        let report: KeyStatusReport
        do {
            report = try await manager.status(now: time)
        } catch {
            logger.error("key status unreadable", metadata: ["error": "\(error)"])
            RotationMetrics.stepDown()
            if !previouslyUnhealthy.contains(Self.unreadable) {
                alerts?.raise(code: "rotation_overdue", summary: "the key store cannot be read to judge rotation: \(error)", issuer: nil)
            }
            return previouslyUnhealthy.union([Self.unreadable])
        }
        RotationMetrics.update(report, leader: leads)
        for issuer in report.issuersWithProblems.subtracting(previouslyUnhealthy).sorted() {
            let lines = report.problems.filter { $0.hasPrefix("issuer '\(issuer)'") }
            logger.critical("rotation overdue", metadata: ["issuer": "\(issuer)", "problems": "\(lines)"])
            alerts?.raise(code: "rotation_overdue", summary: lines.joined(separator: "; "), issuer: issuer)
        }
        return report.issuersWithProblems
    }

    /// Stands for "the store could not be read" among the unhealthy issuers.
    static let unreadable = "\u{0}unreadable"
}
