from factdesk.cli.main import main

main()
