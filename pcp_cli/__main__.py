from pcp_cli.cli.main import main

main()
