import Foundation

/// One implementation under test in one benchmark case.
struct Contender: Sendable {
    /// `keybound`, `raw` or `jwtkit`.
    let label: String
    /// Runs `operations` operations and returns a checksum of their results, which the caller
    /// folds into a printed sink so the optimizer cannot drop the work.
    let run: @Sendable (_ operations: Int) async throws -> Int
}

/// The ops/s of one contender over the interleaved repetitions.
struct Sample: Sendable {
    /// Ops/s of each repetition, in run order.
    let opsPerSecond: [Double]

    var sorted: [Double] { opsPerSecond.sorted() }
    var median: Double {
        let values = sorted, middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }
    var minimum: Double { sorted.first ?? 0 }
    var maximum: Double { sorted.last ?? 0 }
    /// Half the min–max range as a percentage of the median.
    var spreadPercent: Double { median > 0 ? (maximum - minimum) / 2 / median * 100 : 0 }
}

/// What a measurement's duration is read from.
enum TimeSource: String, Sendable {
    /// Wall time from `ContinuousClock` (the default).
    case wall
    /// CPU time of the whole process (`CLOCK_PROCESS_CPUTIME_ID`): on a loaded, shared machine it
    /// leaves out the time the benchmark thread spends preempted. Work is sequential, so it is
    /// still one thread's time.
    case processCPU = "cpu"

    /// The current reading, in seconds.
    func now() -> Double {
        switch self {
        case .wall:
            let instant = ContinuousClock.now
            let sinceStart = instant - Self.origin
            return Double(sinceStart.components.seconds) + Double(sinceStart.components.attoseconds) * 1e-18
        case .processCPU:
            var spec = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
            return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
        }
    }

    private static let origin = ContinuousClock.now
}

/// Times contenders on the calling task, one operation after another.
struct Stopwatch: Sendable {
    /// Target duration of one measurement.
    let secondsPerMeasurement: Double
    /// Wall (`ContinuousClock`) or process CPU time.
    let source: TimeSource

    /// Runs `contender` for `operations` operations: elapsed seconds and checksum.
    func time(_ contender: Contender, operations: Int) async throws -> (seconds: Double, checksum: Int) {
        let start = source.now()
        let checksum = try await contender.run(operations)
        let seconds = source.now() - start
        return (max(seconds, 1e-9), checksum)
    }

    /// Warms `contender` up and returns the operation count that takes about `secondsPerMeasurement`.
    func calibrate(_ contender: Contender, sink: inout Int) async throws -> Int {
        let warmUp = min(0.1, secondsPerMeasurement / 2)
        var operations = 16
        while true {
            let (seconds, checksum) = try await time(contender, operations: operations)
            sink &+= checksum
            if seconds >= warmUp || operations >= 1 << 26 {
                return max(16, Int(Double(operations) / seconds * secondsPerMeasurement))
            }
            operations *= 2
        }
    }

    /// Measures every contender `repetitions` times, interleaved: each repetition runs all of
    /// them once, starting with a different one each time so no contender always goes first.
    func measure(_ contenders: [Contender], repetitions: Int, sink: inout Int) async throws -> [Sample] {
        var counts: [Int] = []
        for contender in contenders { counts.append(try await calibrate(contender, sink: &sink)) }
        var rates = Array(repeating: [Double](), count: contenders.count)
        for repetition in 0..<repetitions {
            for step in 0..<contenders.count {
                let index = (repetition + step) % contenders.count
                let (seconds, checksum) = try await time(contenders[index], operations: counts[index])
                sink &+= checksum
                rates[index].append(Double(counts[index]) / seconds)
            }
        }
        return rates.map(Sample.init(opsPerSecond:))
    }
}
