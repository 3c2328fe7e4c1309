import CKeyboundFuzzReplay

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenVerification(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = keybound_fuzz_replay_marker()
    FuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
