"""The policy network and its data: input features, network, position shards, training, distillation."""
