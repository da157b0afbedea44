import sys

from aad.cli import main

sys.exit(main())
