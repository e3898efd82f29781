// The one table of every fit option, and the one parser both bindings read options through.
//
// A binding turns its language's name -> value map (a Python dict, an R named list) into an
// OptionMap of language-neutral OptionValues and hands it to resolve_options (or directly to
// fit_options_from / personalized_options_from). The parser checks names, types, ranges and
// whether each given option applies to the chosen model, encoder, solver and family, fills
// the defaults, and throws InvalidType (Python: TypeError) or InvalidArgument (ValueError)
// with one message text for both languages. Nothing else in the core or the bindings holds
// a default or a bound of an option.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "glm/fit.hpp"
#include "personalized/personalized.hpp"

namespace ctxstats {

// A value as a binding hands it over, without its language's types. Integers travel as
// decimal text so that any integer a language can hold reaches the range check intact
// (Python's 2**64, R's 1e10 as a whole double).
struct OptionValue {
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kList, kOther };
  Kind kind = Kind::kNull;
  bool flag = false;
  double number = 0.0;
  std::string text;  // kInt: decimal digits with an optional '-'; kString: the string; kOther: how to name it
  std::vector<OptionValue> items;

  static OptionValue null() { return OptionValue(); }
  static OptionValue boolean(bool b);
  static OptionValue integer(long long v);
  static OptionValue integer_text(std::string digits);
  static OptionValue real(double v);
  static OptionValue string(std::string s);
  static OptionValue list(std::vector<OptionValue> items);
  static OptionValue other(std::string description);  // e.g. "a value of type dict", "NA"
};

using OptionMap = std::vector<std::pair<std::string, OptionValue>>;

enum class OptionType { kBool, kInt, kSeed, kDouble, kChoice, kIntList, kDoubleList, kIntPairs };

// One row of the table. Empty applies-to lists mean "all".
struct OptionSpec {
  std::string name;
  OptionType type;
  std::string group;  // model | encoder | spline | penalty | solver | personalized | inference
  OptionValue default_value;
  // Defaults that differ from default_value: a key names a model, an encoder or a family, or several
  // joined by " & " that must all hold ("ngam & gaussian"), and the option's default there. Of the
  // keys that hold, the one with the most names wins (a tie: the first). A given value always wins.
  std::vector<std::pair<std::string, OptionValue>> default_for;
  bool has_low = false, has_high = false, low_open = false, high_open = false;
  double low = 0.0, high = 0.0;
  std::vector<std::string> choices;
  std::vector<std::pair<std::string, std::string>> aliases;  // accepted synonym -> choice
  std::vector<std::string> models, encoders, solvers, families;
  bool internal = false;  // set by the package itself (a fitted basis, column flags), not a user's option
  std::string doc;
};

const char* option_type_name(OptionType t);
const std::vector<OptionSpec>& option_schema();
const OptionSpec* find_option(const std::string& name);

// The default of an option for a model ("glm" | "personalized"), encoder and family ("" where
// not known or not applicable: a key naming it does not hold).
OptionValue option_default(const OptionSpec& spec, const std::string& model, const std::string& encoder,
                           const std::string& family = "");

// Checks `given` (null values count as not given) for `model` and returns every option that
// applies to the model as configured, defaults filled, in the table's order. With
// solver_known false (a model built before its fit chooses a solver), options that depend
// on the solver are checked for type and range only and are not filled.
// strict false: applicability is not checked (the core's structs, which hold every field).
OptionMap resolve_options(const std::string& model, const OptionMap& given, bool solver_known = true,
                          bool strict = true);

// strict false reads a fitted model's stored options (a file written before an option's
// applicability was checked may carry options its encoder ignores): they are skipped.
FitOptions fit_options_from(const OptionMap& given, bool strict = true);
PersonalizedOptions personalized_options_from(const OptionMap& given);

// The defaults, from the table (what the structs hold when no option is given).
FitOptions default_fit_options();
PersonalizedOptions default_personalized_options();

// The checks of the structs the C++ entry points take, by the same table (declared beside
// the structs: validate_encoder_spec, validate_penalty, validate_solver_options,
// validate_personalized_options), and of a whole FitOptions.
void validate_fit_options(const FitOptions& o);

// One integer option's value checked by its row of the table (type and bounds), for the
// arguments that are options but reach the core outside a fit (n_neighbors of a prediction,
// threads): the same message in both languages, before any conversion to a C++ type.
int int_option(const std::string& name, const OptionValue& v);

// A seed read as the option `seed` is (any non-negative integer below 2^64).
std::uint64_t seed_from(const OptionValue& v, const std::string& name = "seed");

}  // namespace ctxstats
