// OpenTelemetry database attribute keys (semantic conventions, database spans), shared by
// the database and cache protocols so that every one spells them alike.
#pragma once

#include <string_view>

namespace beyla::protocols::db {

inline constexpr const char *kSystemName = "db.system.name";
inline constexpr const char *kOperationName = "db.operation.name";
inline constexpr const char *kQueryText = "db.query.text";
inline constexpr const char *kNamespace = "db.namespace";
inline constexpr const char *kCollectionName = "db.collection.name";
inline constexpr const char *kResponseStatusCode = "db.response.status_code";
inline constexpr const char *kReturnedRows = "db.response.returned_rows";
inline constexpr const char *kBatchSize = "db.operation.batch.size";

// The leading word of an error message ("WRONGTYPE Operation against a key..." →
// "WRONGTYPE"), at most 32 bytes of letters, digits and '_': what error.type and
// db.response.status_code carry, low-cardinality. "" when the message has no such word.
std::string_view error_prefix(std::string_view message);

} // namespace beyla::protocols::db
