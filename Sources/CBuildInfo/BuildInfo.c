#include "CBuildInfo.h"

// A C string rather than Swift source: a build setting can define a C macro's value, not a Swift constant's.
#ifndef TELEMETRYSPOOL_COMMIT
#define TELEMETRYSPOOL_COMMIT ""
#endif

const char *const telemetry_spool_commit = TELEMETRYSPOOL_COMMIT;
