"""Accuracy of models as the runtimes run them: task metrics where the weights are real.

- `ocr_corpus`: the synthetic, seeded corpus of rendered text lines and the recogniser's
  preprocessing;
- `ocr`: CTC decoding, character error rate and line accuracy, `evaluate(run, corpus, ...)`;
- `runners`: `run(batch) -> logits` callables over ONNX Runtime, OpenVINO and OpenCV DNN.
"""
