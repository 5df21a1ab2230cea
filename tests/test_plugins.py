"""Backend plugins loaded through real entry points, from throwaway distributions.

Each test writes a plugin module and a fake installed distribution into a tmp
dir, then runs a fresh Python with that dir on PYTHONPATH, so the plugin is
found by `importlib.metadata` exactly like a pip-installed one, and a broken
plugin can never leak into this process's registry.
"""

from __future__ import annotations

import pytest
from plugin_fixtures import ember_info, parse_backends, run_code, write_plugin
from plugin_fixtures.marks import has_device_type, needs_cpu

import ember

# A plugin whose backend works on no machine but registers fine.
UNAVAILABLE_PLUGIN = """
    import ember

    class NoHardware(ember.Backend):
        name = "nohw"
        device_type = "mydev"
        dtypes = frozenset({ember.float32})

        def unavailable_reason(self):
            return "no hardware found"

    @ember.hookimpl
    def ember_register_backends(registry):
        registry.register(NoHardware())
"""

# A working backend with a minimal kernel table: a handful of NumPy kernels on boxed arrays.
FAKE_PLUGIN = """
    import numpy as np
    import ember
    from plugin_fixtures.fakebackend import FakeBackend, delegate

    KERNELS = {
        "full": delegate(lambda shape, value, dtype, index: np.full(shape, value, dtype=dtype.numpy)),
        "astype": delegate(lambda x, dtype: x.astype(dtype.numpy)),
        "copy": delegate(lambda x: np.array(x, copy=True)),
        "add": delegate(np.add),
    }

    @ember.hookimpl
    def ember_register_backends(registry):
        registry.register(FakeBackend(kernels=KERNELS))
"""


def plugin_section(info: str) -> str:
    """The 'Plugins not loaded' part of `python -m ember`'s output."""
    assert "Plugins not loaded" in info, info
    return info[info.index("Plugins not loaded") :]


# -- (a) a plugin whose import raises ---------------------------------------------------------------
@needs_cpu
def test_plugin_failing_at_import_is_isolated(tmp_path):
    write_plugin(tmp_path, "myplug", 'raise RuntimeError("libmyplug.so: cannot open shared object file")\n')

    out = run_code(
        """
        import ember
        print("numpy:", (ember.ones(2) + 1).tolist())
        print("backends:", sorted(b.device_type for b in ember.backends()))
        try:
            ember.zeros(2, device="myplug")
        except ember.BackendError as exc:
            print("ERROR", type(exc).__name__, exc)
            print("CAUSE", repr(exc.__cause__))
            traceback.print_exception(exc, file=sys.stdout)
        """.replace("import ember", "import sys, traceback, ember", 1),
        path=[tmp_path],
    ).stdout
    assert "numpy: [2.0, 2.0]" in out
    assert "'cpu'" in out.split("backends:")[1]
    assert "ERROR BackendUnavailableError" in out
    error = out.split("ERROR", 1)[1]
    # the plugin's own exception is chained (`raise ... from`): its traceback prints above the error
    assert "CAUSE RuntimeError('libmyplug.so: cannot open shared object file')" in error
    assert "Traceback (most recent call last)" in error and "myplug.py" in error
    assert "The above exception was the direct cause of the following exception" in error
    assert "RuntimeError: libmyplug.so: cannot open shared object file" in error

    info = ember_info(path=[tmp_path])
    assert "numpy" in info and "available" in info
    problems = plugin_section(info)
    assert "myplug (myplug 1.2.3): failed" in problems
    assert "RuntimeError: libmyplug.so: cannot open shared object file" in problems
    assert "Traceback" not in problems  # the summary shows the last line only

    verbose = plugin_section(ember_info("--verbose", path=[tmp_path]))
    assert "Traceback (most recent call last)" in verbose
    assert "myplug.py" in verbose


# -- (b) a plugin whose hook raises -------------------------------------------------------------------
@needs_cpu
def test_plugin_whose_hook_raises_is_isolated(tmp_path):
    write_plugin(
        tmp_path,
        "myplug",
        """
        import ember

        @ember.hookimpl
        def ember_register_backends(registry):
            raise ValueError("myplug could not initialise its driver")
        """,
    )
    out = run_code(
        """
        import ember
        print("numpy:", (ember.ones(2) + 1).tolist())
        try:
            ember.ones(1, device="myplug")
        except ember.BackendError as exc:
            print("ERROR", exc)
            print("CAUSE", repr(exc.__cause__))
        """,
        path=[tmp_path],
    ).stdout
    assert "numpy: [2.0, 2.0]" in out
    error = out.split("ERROR", 1)[1]
    assert "ValueError: myplug could not initialise its driver" in error
    assert "CAUSE ValueError('myplug could not initialise its driver')" in error

    problems = plugin_section(ember_info(path=[tmp_path]))
    assert "myplug (myplug 1.2.3): failed" in problems
    assert "ValueError: myplug could not initialise its driver" in problems


def test_plugin_that_registers_then_raises_leaves_nothing_behind(tmp_path):
    write_plugin(
        tmp_path,
        "myplug",
        """
        import ember

        @ember.hookimpl
        def ember_register_backends(registry):
            registry.register(ember.Backend(name="half", device_type="halfdev"))
            raise RuntimeError("second backend failed")
        """,
    )
    out = run_code(
        """
        import ember
        print("types:", sorted(b.device_type for b in ember.backends()))
        """,
        path=[tmp_path],
    ).stdout
    assert "halfdev" not in out


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_fault_report_is_chained_whatever_the_entry_point_name(tmp_path, declared):
    # The entry point is called "whatever", the device type "mydev": the error for "mydev" still carries
    # the plugin's own exception as __cause__ (declared: it is that plugin's; undeclared: it may be).
    write_plugin(
        tmp_path,
        "myplug",
        'raise ImportError("libmydev.so: cannot open shared object file")\n',
        ep_name="whatever",
        dist="ember-backend-mydev",
        device_types=["mydev"] if declared else [],
    )
    out = run_code(
        """
        import ember
        try:
            ember.zeros(2, device="mydev")
        except ember.BackendError as exc:
            print("ERROR", type(exc).__name__, exc)
            print("CAUSE", repr(exc.__cause__))
        """,
        path=[tmp_path],
    ).stdout
    error = out.split("ERROR", 1)[1]
    assert "ember-backend-mydev 1.2.3" in error
    assert "CAUSE ImportError('libmydev.so: cannot open shared object file')" in error
    assert ("BackendUnavailableError" if declared else "BackendNotFoundError") in error


def test_plugins_load_per_device_type(tmp_path):
    # A plugin declaring "mydev" is not imported for "cpu"; asking for "mydev" imports it; listing imports all.
    write_plugin(tmp_path / "a", "myplug", UNAVAILABLE_PLUGIN, device_types=["mydev"])
    write_plugin(tmp_path / "b", "otherplug", UNAVAILABLE_PLUGIN.replace('"mydev"', '"otherdev"').replace("nohw", "o"))
    out = run_code(
        """
        import sys
        import ember
        from ember.backends import declared_device_types
        print("declared:", sorted(declared_device_types()))
        try:
            ember.get_backend("cpu")
        except ember.BackendError:
            pass
        print("after cpu:", "myplug" in sys.modules, "otherplug" in sys.modules)
        try:
            ember.get_backend("mydev")
        except ember.BackendError as exc:
            print("mydev:", exc)
        print("after mydev:", "myplug" in sys.modules, "otherplug" in sys.modules)
        print("all:", sorted(b.device_type for b in ember.backends()))
        print("after all:", "myplug" in sys.modules, "otherplug" in sys.modules)
        """,
        path=[tmp_path / "a", tmp_path / "b"],
    ).stdout
    assert "'mydev'" in out.split("declared:")[1].splitlines()[0]
    if has_device_type("cpu"):  # the NumPy backend declares "cpu"; the undeclared otherplug is not needed either
        assert "after cpu: False False" in out
    assert "after mydev: True False" in out
    assert "mydev: device type 'mydev': backend 'nohw'" in out and "no hardware found" in out
    assert "'mydev'" in out.split("all:")[1] and "'otherdev'" in out.split("all:")[1]
    assert "after all: True True" in out
    info = ember_info(path=[tmp_path / "a", tmp_path / "b"])  # python -m ember still shows every backend
    assert {"nohw", "o"} <= set(parse_backends(info))


# -- (c) a plugin for another major plugin API ----------------------------------------------------------
def test_plugin_for_another_major_api_is_refused(tmp_path):
    write_plugin(
        tmp_path,
        "myplug",
        """
        import ember

        @ember.hookimpl
        def ember_register_backends(registry):
            registry.register(ember.Backend(name="future", device_type="futuredev", api_version=(2, 0)))
        """,
        dist="ember-backend-future",
        version="3.1.4",
    )
    problems = plugin_section(ember_info(path=[tmp_path]))
    assert "myplug (ember-backend-future 3.1.4): refused" in problems
    reason = problems.split("refused", 1)[1]
    assert "ember-backend-future 3.1.4" in reason
    assert "plugin API 2.0" in reason  # what it needs
    assert f"plugin API {ember.PLUGIN_API_VERSION[0]}.{ember.PLUGIN_API_VERSION[1]}" in reason  # what core has

    # Asking for its device type says why it is not there, even though the entry point is named differently.
    out = run_code(
        """
        import ember
        print("types:", sorted(b.device_type for b in ember.backends()))
        try:
            ember.get_backend("futuredev")
        except ember.BackendError as exc:
            print("ERROR", exc)
        """,
        path=[tmp_path],
    ).stdout
    assert "futuredev" not in out.split("ERROR")[0]
    error = out.split("ERROR", 1)[1]
    assert "ember-backend-future 3.1.4" in error and "plugin API 2.0" in error


def test_plugin_for_a_newer_minor_api_loads(tmp_path):
    write_plugin(tmp_path, "myplug", UNAVAILABLE_PLUGIN.replace('name = "nohw"', 'name = "nohw"; api_version = (1, 99)'))
    info = ember_info(path=[tmp_path])
    assert "Plugins not loaded" not in info
    assert parse_backends(info)["nohw"]["distribution"] == "myplug 1.2.3 (plugin API 1.99)"


# -- (d) two distributions registering one device type -------------------------------------------------
def test_second_distribution_for_a_device_type_is_refused(tmp_path):
    source = """
        import ember

        @ember.hookimpl
        def ember_register_backends(registry):
            registry.register(ember.Backend(name="{name}", device_type="twin"))
    """
    write_plugin(tmp_path, "plug_a", source.format(name="alpha"), dist="ember-backend-alpha", version="1.0")
    write_plugin(tmp_path, "plug_b", source.format(name="beta"), dist="ember-backend-beta", version="2.0")

    out = run_code(
        """
        import ember
        from ember.backends import registry
        print("twin:", registry.peek("twin").distribution)
        for r in registry.plugins:
            print("record:", r.name, r.status)
        """,
        path=[tmp_path],
    ).stdout
    statuses = sorted(line.split()[1:] for line in out.splitlines() if line.startswith("record: plug_"))
    assert sorted(s for _, s in statuses) == ["loaded", "refused"], out
    winner = out.split("twin:")[1].split()[0]
    assert winner in ("ember-backend-alpha", "ember-backend-beta")

    problems = plugin_section(ember_info(path=[tmp_path]))
    assert ": refused" in problems
    assert "ember-backend-alpha" in problems and "ember-backend-beta" in problems
    assert "'twin'" in problems


# -- (e) EMBER_DISABLED_BACKENDS -------------------------------------------------------------------------
def test_disabled_plugin_is_not_imported(tmp_path):
    write_plugin(tmp_path, "myplug", UNAVAILABLE_PLUGIN)
    env = {"EMBER_DISABLED_BACKENDS": "somethingelse, myplug"}
    out = run_code(
        """
        import sys
        import ember
        print("types:", sorted(b.device_type for b in ember.backends()))
        print("imported:", "myplug" in sys.modules)
        try:
            ember.get_backend("myplug")
        except ember.BackendError as exc:
            print("ERROR", exc)
        """,
        path=[tmp_path],
        env=env,
    ).stdout
    assert "mydev" not in out.split("imported:")[0]
    assert "imported: False" in out
    assert "EMBER_DISABLED_BACKENDS" in out.split("ERROR", 1)[1]

    problems = plugin_section(ember_info(path=[tmp_path], env=env))
    assert "myplug (myplug 1.2.3): disabled" in problems
    assert "EMBER_DISABLED_BACKENDS" in problems

    # Without the variable, the same plugin loads.
    assert "mydev" in ember_info(path=[tmp_path])


# -- (f) a backend without its hardware -------------------------------------------------------------------
def test_unavailable_backend_is_listed_with_its_reason(tmp_path):
    write_plugin(tmp_path, "myplug", UNAVAILABLE_PLUGIN)
    info = ember_info(path=[tmp_path])
    block = parse_backends(info)["nohw"]
    assert block["device type"] == "mydev"
    assert block["distribution"].startswith("myplug 1.2.3")
    assert block["status"] == "unavailable: no hardware found"
    assert block["devices"] == "mydev:0"
    assert block["dtypes"] == "float32"
    assert "Plugins not loaded" not in info

    out = run_code(
        """
        import ember
        try:
            ember.zeros(2, device="mydev")
        except ember.BackendUnavailableError as exc:
            print("ERROR", exc)
        """,
        path=[tmp_path],
    ).stdout
    error = out.split("ERROR", 1)[1]
    assert "no hardware found" in error and "'mydev'" in error and "myplug" in error


# -- (g) unknown and malformed device strings -------------------------------------------------------------
@pytest.mark.skipif(has_device_type("cuda"), reason="a backend for 'cuda' is installed")
def test_unknown_device_type_names_the_package_to_install():
    with pytest.raises(ember.BackendNotFoundError, match="ember-backend-cupy"):
        ember.zeros(2, device="cuda")
    with pytest.raises(ember.BackendNotFoundError, match="ember-backend-cupy"):
        ember.get_backend("cuda")


def test_unknown_device_type_without_a_known_package():
    with pytest.raises(ember.BackendNotFoundError, match="'nosuchdevice'"):
        ember.ones(1, device="nosuchdevice:0")


@pytest.mark.parametrize("spec", ["cpu:x", "cpu:", ":0", "cpu:-1", "cpu:0:1", ""])
def test_malformed_device_string_is_a_value_error(spec):
    with pytest.raises(ValueError, match="device"):
        ember.zeros(2, device=spec)
    with pytest.raises(ValueError):
        ember.device(spec)


# -- (h) a working third-party backend -----------------------------------------------------------------------
@needs_cpu
def test_third_party_backend_computes_and_round_trips(tmp_path):
    write_plugin(tmp_path, "fakeplug", FAKE_PLUGIN, dist="ember-backend-fake", version="0.0.1")
    out = run_code(
        """
        import warnings
        import ember
        from plugin_fixtures.fakebackend import FakeArray

        a = ember.tensor([1.0, 2.0, 3.0], device="fake")
        b = ember.ones(3, device="fake")
        c = a + b
        print("device:", c.device.type, type(c._data).__name__)
        back = c.to("cpu")
        print("host:", back.device.type, back.tolist())
        again = back.to("fake")
        print("again:", again.device.type, (again + a).to("cpu").tolist())
        print("float64:", a.to(ember.float64).dtype.name, a.to(ember.float64).device.type)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print("mul:", (a * b).to("cpu").tolist(), [w.category.__name__ for w in caught])
        for x, y in ((ember.ones(3), a), (a, ember.ones(3))):
            try:
                x + y
            except RuntimeError as exc:
                print("MIXED", exc)
        """,
        path=[tmp_path],
    ).stdout
    assert "device: fake FakeArray" in out
    assert "host: cpu [2.0, 3.0, 4.0]" in out
    assert "again: fake [3.0, 5.0, 7.0]" in out
    assert "float64: float64 fake" in out
    assert "mul: [1.0, 2.0, 3.0] ['FallbackWarning']" in out  # no "mul" kernel: the host runs it
    mixed = [line for line in out.splitlines() if line.startswith("MIXED")]
    assert len(mixed) == 2
    for line in mixed:
        assert "cpu" in line and "fake" in line

    block = parse_backends(ember_info(path=[tmp_path]))["fake"]
    assert block["distribution"].startswith("ember-backend-fake 0.0.1")
    assert block["status"] == "available"
    assert block["devices"] == "fake:0 (boxed NumPy)"


# -- (i) plugins load lazily -------------------------------------------------------------------------------
LAZY_CHECK = """
    import sys
    import ember
    print("after import:", "myplug" in sys.modules)
    {action}
    print("after use:", "myplug" in sys.modules)
"""


@pytest.mark.parametrize("action", ["ember.backends()", "ember.zeros(1)", "ember.tensor([1.0])"])
def test_plugins_load_lazily(tmp_path, action):
    if action != "ember.backends()" and not has_device_type("cpu"):
        pytest.skip("no backend for device type 'cpu' is installed")
    write_plugin(tmp_path, "myplug", UNAVAILABLE_PLUGIN)
    out = run_code(LAZY_CHECK.format(action=action), path=[tmp_path]).stdout
    assert "after import: False" in out
    # listing loads every plugin; a "cpu" tensor loads only the plugin declaring "cpu" (ember-backend-numpy)
    assert f"after use: {action == 'ember.backends()'}" in out


def test_import_ember_loads_no_backend_module():
    out = run_code(
        """
        import sys
        from importlib import metadata
        import ember
        modules = {ep.value.split(".")[0] for ep in metadata.entry_points(group="ember.backends")}
        print("loaded:", sorted(m for m in modules if m in sys.modules))
        """
    ).stdout
    assert "loaded: []" in out


def test_plugin_that_uses_ember_while_loading_is_loaded_once(tmp_path):
    # Asking for backends from inside a plugin's import or hook must not load the plugins again
    # (that would register a half-imported module, or this plugin twice).
    write_plugin(
        tmp_path,
        "myplug",
        UNAVAILABLE_PLUGIN.replace("    import ember\n", "    import ember\n    ember.backends()\n", 1).replace(
            "registry.register(NoHardware())", "ember.backends(); registry.register(NoHardware())"
        ),
    )
    out = run_code(
        """
        import ember
        from ember.backends import registry
        print("types:", sorted(b.device_type for b in ember.backends()))
        for r in registry.plugins:
            print("record:", r.name, r.status, r.backends)
        """,
        path=[tmp_path],
    ).stdout
    assert "'mydev'" in out.split("types:")[1].splitlines()[0]
    records = [line.split()[1] for line in out.splitlines() if line.startswith("record:")]
    assert sorted(records) == sorted(set(records)), out
    assert "record: myplug loaded ('mydev',)" in out


def test_plugin_without_a_hook_is_reported(tmp_path):
    write_plugin(tmp_path, "myplug", "import ember\n\nNOTHING = True\n")
    info = ember_info(path=[tmp_path])
    assert "Plugins not loaded" not in info
    assert "Plugins loaded without a backend (1):" in info
    assert "myplug (myplug 1.2.3): its hook registered nothing" in info


@needs_cpu
def test_plugin_calling_sys_exit_while_loading_is_isolated(tmp_path):
    write_plugin(tmp_path, "myplug", 'import sys\nsys.exit("myplug: unsupported platform")\n')
    out = run_code('import ember\nprint("numpy:", (ember.ones(2) + 1).tolist())', path=[tmp_path]).stdout
    assert "numpy: [2.0, 2.0]" in out
    problems = plugin_section(ember_info(path=[tmp_path]))
    assert "myplug (myplug 1.2.3): failed" in problems
    assert "SystemExit: myplug: unsupported platform" in problems
