// Bindings for the option schema (csrc/options/schema.hpp): the table itself, from which the
// Python package takes its defaults and documentation, and the one parser.
#include "convert.hpp"

namespace ctxstats_py {

namespace {

py::list strings(const std::vector<std::string>& xs) {
  py::list out;
  for (const auto& x : xs) out.append(x);
  return out;
}

py::list option_schema_py() {
  py::list out;
  for (const OptionSpec& s : option_schema()) {
    py::dict d;
    d["name"] = s.name;
    d["type"] = option_type_name(s.type);
    d["group"] = s.group;
    d["default"] = to_python(s.default_value);
    py::dict by;
    for (const auto& kv : s.default_for) by[py::str(kv.first)] = to_python(kv.second);
    d["default_for"] = by;
    d["low"] = s.has_low ? py::object(py::float_(s.low)) : py::object(py::none());
    d["high"] = s.has_high ? py::object(py::float_(s.high)) : py::object(py::none());
    d["low_open"] = s.low_open;
    d["high_open"] = s.high_open;
    d["choices"] = strings(s.choices);
    py::dict aliases;
    for (const auto& kv : s.aliases) aliases[py::str(kv.first)] = kv.second;
    d["aliases"] = aliases;
    d["models"] = strings(s.models);
    d["encoders"] = strings(s.encoders);
    d["solvers"] = strings(s.solvers);
    d["families"] = strings(s.families);
    d["internal"] = s.internal;
    d["doc"] = s.doc;
    out.append(d);
  }
  return out;
}

py::dict resolve_options_py(const std::string& model, const py::dict& options, bool solver_known) {
  const OptionMap resolved = resolve_options(model, option_map(options), solver_known);
  py::dict out;
  for (const auto& kv : resolved) out[py::str(kv.first)] = to_python(kv.second);
  return out;
}

py::object option_default_py(const std::string& name, const std::string& model, const std::string& encoder,
                             const std::string& family) {
  const OptionSpec* spec = find_option(name);
  if (!spec) throw InvalidArgument("unknown option '" + name + "'");
  return to_python(option_default(*spec, model, encoder, family));
}

}  // namespace

void bind_options(py::module_& mod) {
  mod.def("option_schema", &option_schema_py,
          "Every option of every model: name, type, default (and per-model, per-encoder or per-family defaults), bounds or "
          "choices, the models, encoders, solvers and families it applies to, and a one-line doc.");
  mod.def("resolve_options", &resolve_options_py, py::arg("model"), py::arg("options"),
          py::arg("solver_known") = true,
          "Checks the options of model ('glm' or 'personalized') and returns every option that applies, with "
          "the defaults filled.");
  mod.def("option_default", &option_default_py, py::arg("name"), py::arg("model"), py::arg("encoder") = "",
          py::arg("family") = "",
          "The table's default of one option for a model, encoder and family ('' where not known): a default "
          "given for several of them together (e.g. 'ngam & gaussian') wins over one given for fewer.");
}

}  // namespace ctxstats_py
