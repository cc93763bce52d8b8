"""Which file do I ship? Build every deployment artifact of one trained model, score and time each.

The command is stdc_tf.commands.deployment_report (installed as `stdc-report`); `--help` explains it.
"""
import sys

from stdc_tf.commands.deployment_report import main

if __name__ == "__main__":
    sys.exit(main())
