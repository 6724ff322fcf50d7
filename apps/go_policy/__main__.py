import sys

from apps.go_policy.cli import main

if __name__ == "__main__":
    sys.exit(main())
