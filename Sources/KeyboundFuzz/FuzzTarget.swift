import CKeyboundFuzzReplay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenVerification(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = keybound_fuzz_replay_marker()
    return 0
}
