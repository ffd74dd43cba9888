#ifndef CBUILDINFO_H
#define CBUILDINFO_H

/// The commit the build was made from ("" when the build was not told): Package.swift defines
/// TELEMETRYSPOOL_COMMIT from the environment variable of the same name, which `make` sets.
extern const char *const telemetry_spool_commit;

#endif
