// What the bank's readers of hash lists share (exchange_formats.cpp, exchange_json.cpp,
// and importers.cpp for shown/trim): the wording of their errors and notes, and a
// signal's value read from its text. Not an interface for other folders.
#pragma once

#include <string>
#include <string_view>

#include "bank/exchange_formats.h"
#include "core/status.h"

namespace vhm::exchange_detail {

// kCorrupt "<where>: <what>" about file `name`.
Status record_error(const std::string& name, const std::string& where, const std::string& what);
std::string line_at(size_t line);       // "line N"
std::string record_at(size_t index);    // "record N"
std::string shown(std::string_view s);  // quoted, cut at 40 characters
std::string_view trim(std::string_view s);
std::string lower(std::string_view s);
// Fills r's value from a signal's text, per r.signal; the reason when it is not one.
Status set_value(ExchangeRecord& r, std::string_view value);
// A record's outcome under BadRecords: ok stays ok; a kCorrupt record error is kept in
// list.bad_records under kSkip; anything else is returned.
Status keep_or_skip(Status record, BadRecords bad_records, ExchangeList& list);
// Counts a record of a signal type vhm does not know, with its note.
void note_unknown(ExchangeList& list, const std::string& where, std::string_view type);

}  // namespace vhm::exchange_detail
