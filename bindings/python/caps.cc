// pybeyla.capabilities(): the kernel capability probe, through the C ABI only.
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include <beyla/beyla.h>
#include <pybind11/stl.h>

#include "bindings.h"

namespace py = pybind11;

namespace {

// yes/no/unknown as True/False/None.
py::object tri(int v) {
    if (v == BEYLA_YES) return py::bool_(true);
    if (v == BEYLA_NO) return py::bool_(false);
    return py::none();
}

const char *state_name(int v) {
    return v == BEYLA_YES ? "yes" : v == BEYLA_NO ? "no" : "unknown";
}

py::dict item_dict(const beyla_cap_item &it) {
    py::dict d;
    d["name"] = it.name;
    d["category"] = it.category;
    d["state"] = state_name(it.state);
    d["value"] = it.value;
    d["reason"] = it.reason;
    d["degraded"] = it.degraded;
    return d;
}

[[noreturn]] void raise_errno(int err, const std::string &what) {
    char msg[128];
    beyla_strerror(err, msg, sizeof(msg));
    PyErr_SetObject(PyExc_OSError, py::make_tuple(err, what + ": " + msg).ptr());
    throw py::error_already_set();
}

class PyCaps {
  public:
    explicit PyCaps(beyla_caps *c) : caps_(c) {
        sum_.sz = sizeof(sum_);
        int err = beyla_caps_get_summary(caps_, &sum_);
        if (err) {
            beyla_caps_free(caps_);
            raise_errno(-err, "beyla_caps_get_summary");
        }
    }
    ~PyCaps() { beyla_caps_free(caps_); }
    PyCaps(const PyCaps &) = delete;
    PyCaps &operator=(const PyCaps &) = delete;

    const beyla_caps_summary &summary() const { return sum_; }

    py::list items() const {
        py::list out;
        size_t n = beyla_caps_count(caps_);
        for (size_t i = 0; i < n; i++) {
            beyla_cap_item it{};
            it.sz = sizeof(it);
            int err = beyla_caps_item(caps_, i, &it);
            if (err) raise_errno(-err, beyla_caps_last_error(caps_));
            out.append(item_dict(it));
        }
        return out;
    }

    std::optional<py::dict> find(const std::string &name) const {
        beyla_cap_item it{};
        it.sz = sizeof(it);
        int err = beyla_caps_find(caps_, name.c_str(), &it);
        if (err == -ENOENT) return std::nullopt;
        if (err) raise_errno(-err, beyla_caps_last_error(caps_));
        return item_dict(it);
    }

    py::dict getitem(const std::string &name) const {
        auto d = find(name);
        if (!d) throw py::key_error(name);
        return *d;
    }

    std::string json() const {
        const char *j = beyla_caps_json(caps_);
        return j ? j : "";
    }
    std::string plan() const {
        const char *p = beyla_caps_plan_text(caps_);
        return p ? p : "";
    }
    py::object to_dict() const { return py::module_::import("json").attr("loads")(json()); }

  private:
    beyla_caps *caps_;
    beyla_caps_summary sum_{};
};

std::string opt(const std::optional<std::string> &s) {
    return s.value_or("");
}

} // namespace

void bind_caps(py::module_ &m) {
    py::class_<PyCaps> c(m, "Capabilities",
                         "What the running kernel can do for the tracer. Yes/no answers are True/False, "
                         "and None when they could not be determined.");
#define PYBEYLA_TRI(field)                                                                                   \
    c.def_property_readonly(#field, [](const PyCaps &p) { return tri(p.summary().field); })
    PYBEYLA_TRI(btf);
    PYBEYLA_TRI(ringbuf);
    PYBEYLA_TRI(perfbuf);
    PYBEYLA_TRI(syscall_tracepoints);
    PYBEYLA_TRI(raw_tracepoints);
    PYBEYLA_TRI(kprobes);
    PYBEYLA_TRI(fentry);
    PYBEYLA_TRI(uprobes);
    PYBEYLA_TRI(tc);
    PYBEYLA_TRI(cgroup_skb);
    PYBEYLA_TRI(socket_filter);
    PYBEYLA_TRI(bpf_loop);
    PYBEYLA_TRI(probe_write_user);
    PYBEYLA_TRI(rhel_backport);
#undef PYBEYLA_TRI
    c.def_property_readonly("can_trace", [](const PyCaps &p) { return p.summary().can_trace == BEYLA_YES; });
    c.def_property_readonly("kernel_major", [](const PyCaps &p) { return p.summary().kernel_major; });
    c.def_property_readonly("kernel_minor", [](const PyCaps &p) { return p.summary().kernel_minor; });
    c.def_property_readonly("kernel_patch", [](const PyCaps &p) { return p.summary().kernel_patch; });
    c.def_property_readonly("kernel_version", [](const PyCaps &p) {
        const auto &s = p.summary();
        return std::to_string(s.kernel_major) + "." + std::to_string(s.kernel_minor) + "." +
               std::to_string(s.kernel_patch);
    });
    c.def_property_readonly("page_size", [](const PyCaps &p) { return p.summary().page_size; });
    c.def_property_readonly("memlock_limit", [](const PyCaps &p) -> py::object {
        uint64_t v = p.summary().memlock_limit;
        if (v == 0) return py::none();
        return py::int_(v); // UINT64_MAX: unlimited
    });
    c.def_property_readonly("lockdown", [](const PyCaps &p) { return std::string(p.summary().lockdown); });
    c.def_property_readonly("btf_source",
                            [](const PyCaps &p) { return std::string(p.summary().btf_source); });
    c.def_property_readonly("capture_path",
                            [](const PyCaps &p) { return std::string(p.summary().capture_path); });
    c.def_property_readonly("transport", [](const PyCaps &p) { return std::string(p.summary().transport); });
    c.def_property_readonly("plan", &PyCaps::plan, "the plan as plain text");
    c.def_property_readonly("items", &PyCaps::items,
                            "every item as a dict: name, category, state, value, reason, degraded");
    c.def("get", &PyCaps::find, py::arg("name"), "the item named so, or None");
    c.def("__getitem__", &PyCaps::getitem, py::arg("name"));
    c.def("__contains__", [](const PyCaps &p, const std::string &name) { return p.find(name).has_value(); });
    c.def("__len__", [](const PyCaps &p) { return py::len(p.items()); });
    c.def("json", &PyCaps::json, "the report as a JSON string");
    c.def("to_dict", &PyCaps::to_dict, "the report as a dict (the JSON report, parsed)");
    c.def("__repr__", [](const PyCaps &p) {
        const auto &s = p.summary();
        return "<pybeyla.Capabilities kernel " + std::to_string(s.kernel_major) + "." +
               std::to_string(s.kernel_minor) + " capture=" + s.capture_path + " transport=" + s.transport +
               " can_trace=" + (s.can_trace == BEYLA_YES ? "True" : "False") + ">";
    });

    m.def(
        "capabilities",
        [](std::optional<std::string> proc_root, std::optional<std::string> sys_root,
           std::optional<std::string> boot_root, std::optional<std::string> etc_root,
           std::optional<std::string> btf_path, bool no_mount_tracefs, bool files_only) {
            std::string proc = opt(proc_root), sys = opt(sys_root), boot = opt(boot_root),
                        etc = opt(etc_root), btf = opt(btf_path);
            beyla_caps_opts o{};
            o.sz = sizeof(o);
            o.proc_root = proc.empty() ? nullptr : proc.c_str();
            o.sys_root = sys.empty() ? nullptr : sys.c_str();
            o.boot_root = boot.empty() ? nullptr : boot.c_str();
            o.etc_root = etc.empty() ? nullptr : etc.c_str();
            o.btf_path = btf.empty() ? nullptr : btf.c_str();
            o.no_mount_tracefs = no_mount_tracefs;
            o.files_only = files_only;
            beyla_caps *caps;
            int err;
            {
                // Probing makes syscalls that can take a moment; other Python threads may run.
                py::gil_scoped_release unlocked;
                caps = beyla_caps_probe(&o);
                err = errno;
            }
            if (!caps) raise_errno(err, "beyla_caps_probe");
            return std::make_unique<PyCaps>(caps);
        },
        py::kw_only(), py::arg("proc_root") = py::none(), py::arg("sys_root") = py::none(),
        py::arg("boot_root") = py::none(), py::arg("etc_root") = py::none(), py::arg("btf_path") = py::none(),
        py::arg("no_mount_tracefs") = false, py::arg("files_only") = false,
        "Probes the running kernel and returns a Capabilities object.");
}
