"""The three summaries of TensorBoard's HParams plugin, with PyTorch's `hparam_domain_discrete`."""

from __future__ import annotations

from typing import Any

from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData
from tensorboardX.proto.summary_pb2 import Summary
from tensorboardX.summary import hparams


def hparams_summaries(
    hparam_dict: dict[str, Any], metric_dict: dict[str, Any], domain_discrete: dict[str, list[Any]] | None
) -> list[Summary]:
    """Experiment, session start and session end summaries (tensorboardX builds them; the discrete domains, the
    values an hparam may take, are added to the experiment here)."""
    for k, v in hparam_dict.items():
        if v is not None and not isinstance(v, (bool, int, float, str)):
            raise ValueError(
                f"add_hparams: the value of {k!r} should be a bool, number, string or tensor, got {type(v).__name__}"
            )
    exp, ssi, sei = hparams(hparam_dict, metric_dict)
    if domain_discrete:
        for k, values in domain_discrete.items():
            if k not in hparam_dict:
                raise ValueError(f"add_hparams: hparam_domain_discrete names {k!r}, which is not in hparam_dict")
            if not isinstance(values, list) or not all(isinstance(v, type(hparam_dict[k])) for v in values):
                raise TypeError(
                    f"add_hparams: hparam_domain_discrete[{k!r}] should be a list of values of the type of "
                    f"hparam_dict[{k!r}] ({type(hparam_dict[k]).__name__})"
                )
        value = exp.value[0]
        data = HParamsPluginData.FromString(value.metadata.plugin_data.content)
        for info in data.experiment.hparam_infos:
            for v in domain_discrete.get(info.name, []):
                entry = info.domain_discrete.values.add()
                if isinstance(v, bool):
                    entry.bool_value = v
                elif isinstance(v, (int, float)):
                    entry.number_value = float(v)
                else:
                    entry.string_value = str(v)
        value.metadata.plugin_data.content = data.SerializeToString()
    return [exp, ssi, sei]
