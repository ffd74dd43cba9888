// libFuzzer entry point for the spooler's configuration parser (sections, keys, durations, sizes,
// sources). Any bytes must give a configuration or a ConfigurationError, never a crash or a hang.
// Built only by Fuzz/run.sh.
import TelemetryReport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var configuration = SpoolerConfiguration()
    _ = try? configuration.apply(bytes: Array(UnsafeBufferPointer(start: data, count: size)), file: "fuzz.conf")
    return 0
}
