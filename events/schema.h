#pragma once
// JSON Schemas of every event type's `data`, from events/schemas/<type>.json,
// compiled into the binary. Validation covers the subset of JSON Schema the
// schemas use: type, required, properties, additionalProperties, enum,
// minimum, maximum, minLength, maxLength, items, format "date-time", and
// if/then (a conditional "required", as in contact.received). Annotations
// ($schema, $id, title, description) are ignored; any other keyword makes
// the schema unusable, so a schema cannot silently rely on an unchecked rule.

#include <string_view>

#include "events/event.h"
#include "base/result.h"

namespace ledger::events {

// kInvalidArgument naming the first offending field as a JSON pointer
// ("data/score: must be at most 5"); kInvalidArgument for an unknown type;
// kCorruption if the embedded schema of `type` is unusable (a build defect).
base::Status ValidateData(std::string_view type, const Json& data);

// The schema document for `type`, or nullptr if the type is unknown or its
// schema is unusable. The pointer stays valid for the life of the process.
const Json* SchemaFor(std::string_view type);

}  // namespace ledger::events
