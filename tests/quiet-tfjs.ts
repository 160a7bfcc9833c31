// tfjs's CPU backend greets Node with a banner asking to install tfjs-node (which cannot install
// here: it downloads libtensorflow), once per test file. The tests use the CPU and WASM backends on
// purpose; production mode is tfjs's own switch for its console warnings (it changes no maths).
import * as tf from '@tensorflow/tfjs';

tf.enableProdMode();
