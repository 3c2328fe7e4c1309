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

/// Times contenders with `ContinuousClock` on the calling task, one operation after another.
struct Stopwatch: Sendable {
    /// Target duration of one measurement.
    let secondsPerMeasurement: Double

    /// Runs `contender` for `operations` operations: elapsed seconds and checksum.
    func time(_ contender: Contender, operations: Int) async throws -> (seconds: Double, checksum: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let checksum = try await contender.run(operations)
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
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
