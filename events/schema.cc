// Placeholder until the schema validator lands.
#include "events/schema.h"
