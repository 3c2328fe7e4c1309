extension SigningKey {
    /// For the benchmark only (`Benchmarks/`), never for serving: this key as `keybound serve`
    /// holds a software key, in locked memory and rebuilt for each signature (``LockedSigningKey``).
    ///
    /// `signer` signs through the ``SecretWorkers`` threads, as the token endpoint does;
    /// `signatureRebuildingKey` signs on the caller's thread, so the benchmark can tell the cost of
    /// rebuilding the key from the cost of the hop to a worker.
    @_spi(Benchmarking)
    public func lockedForBenchmarking() throws(KeyImportError) -> (signer: TokenSigner, signatureRebuildingKey: @Sendable ([UInt8]) throws(SigningError) -> [UInt8]) {
        let locked = try LockedSigningKey.copying(self)
        return (TokenSigner(key: handle, custodian: locked), { input throws(SigningError) in try locked.signatureNow(for: input) })
    }
}
